//! One module per subcommand: its clap `Args` and a `run` that returns the exit code.
//! Exit codes: 0 ok, 1 a problem was found, 2 certgate could not do the job.

pub mod call;
pub mod cert;
pub mod codes;
pub mod doctor;
pub mod explain;
pub mod inventory;
pub mod lab;
pub mod serve;
pub mod trace;
