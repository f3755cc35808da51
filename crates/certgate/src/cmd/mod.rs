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

/// Declares a subcommand that is not built yet: it says so and exits 2, never pretends.
macro_rules! not_yet {
    ($name:literal, $issue:literal) => {
        /// Arguments (accepted as-is until the subcommand is built).
        #[derive(clap::Args)]
        pub struct Args {
            #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
            rest: Vec<String>,
        }

        pub fn run(_: Args) -> anyhow::Result<std::process::ExitCode> {
            anyhow::bail!(concat!(
                "`certgate ",
                $name,
                "` is not built yet (tracked in issue ",
                $issue,
                ")"
            ))
        }
    };
}
pub(crate) use not_yet;
