//! Parity with Debian's nginx (`ssl_verify_client on`, `ssl_crl`, `error_page 49x =49x`): the same
//! certificates through both, the same status codes. The test log shows what each answered —
//! nginx's `HTTP/1.1 496 ` (no reason phrase) next to ours.

mod common;

use common::{Env, Pair};
use std::process::{Child, Command, Stdio};

struct Nginx(Child);
impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_nginx(env: &Env, port: u16) -> Nginx {
    let d = env.pki.dir.path();
    let now = time::OffsetDateTime::now_utc();
    // nginx checks CRLs for every CA in the chain (X509_V_FLAG_CRL_CHECK_ALL): add the root's.
    let root_crl = env
        .pki
        .root
        .crl(
            &[],
            now - time::Duration::minutes(5),
            now + time::Duration::days(7),
            1,
        )
        .unwrap();
    let crls = d.join("nginx-crls.pem");
    std::fs::write(
        &crls,
        std::fs::read_to_string(&env.pki.crl).unwrap() + &root_crl,
    )
    .unwrap();
    let ng = d.join("nginx");
    std::fs::create_dir_all(ng.join("tmp")).unwrap();
    let p = |x: &std::path::Path| x.display().to_string();
    let conf = format!(
        r#"
master_process off;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {dir}/tmp/body;
  proxy_temp_path {dir}/tmp/proxy;
  fastcgi_temp_path {dir}/tmp/fastcgi;
  uwsgi_temp_path {dir}/tmp/uwsgi;
  scgi_temp_path {dir}/tmp/scgi;
  server {{
    listen 127.0.0.1:{port} ssl;
    server_name localhost;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    ssl_client_certificate {ca};
    ssl_verify_client on;
    ssl_verify_depth 2;
    ssl_crl {crls};
    error_page 495 =495 /_err/495;
    error_page 496 =496 /_err/496;
    error_page 497 =497 /_err/497;
    location /_err/ {{ internal; default_type application/json; return 200 '{{"verify": "$ssl_client_verify"}}'; }}
    location / {{ default_type application/json; return 200 '{{"ok": true}}'; }}
  }}
}}
"#,
        dir = p(&ng),
        cert = p(&env.pki.server.cert),
        key = p(&env.pki.server.key),
        ca = p(&env.pki.ca),
        crls = p(&crls),
    );
    std::fs::write(ng.join("nginx.conf"), conf).unwrap();
    let child = Command::new("nginx")
        .args([
            "-p",
            &p(&ng),
            "-c",
            &p(&ng.join("nginx.conf")),
            "-e",
            &p(&ng.join("error.log")),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let n = Nginx(child);
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return n;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!(
        "nginx did not start: {}",
        std::fs::read_to_string(ng.join("error.log")).unwrap_or_default()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_and_certgate_answer_every_case_with_the_same_status() {
    if certgate_testkit::tool("nginx").is_none() || certgate_testkit::tool("curl").is_none() {
        return;
    }
    let env = Env::start(|_, _| {}).await;
    let nginx_port = free_port();
    let _nginx = start_nginx(&env, nginx_port);
    let p = &env.pki;
    let cases: Vec<(&str, Option<&Pair>, u16)> = vec![
        ("valid", Some(&p.valid), 200),
        ("no certificate", None, 496),
        ("expired", Some(&p.expired), 495),
        ("not yet valid", Some(&p.not_yet_valid), 495),
        ("wrong EKU", Some(&p.wrong_eku), 495),
        ("revoked", Some(&p.revoked), 495),
        ("untrusted CA", Some(&p.untrusted), 495),
    ];
    let mut table = String::from("case | nginx 1.22 | certgate\n");
    for (name, pair, want) in cases {
        let ours = env.curl(pair, "/", &["--http1.1"]).await;
        let mut args = vec![
            "--http1.1".to_string(),
            "--cacert".into(),
            p.ca.display().to_string(),
            "--resolve".into(),
            format!("localhost:{nginx_port}:127.0.0.1"),
        ];
        if let Some(pair) = pair {
            args.extend([
                "--cert".into(),
                pair.cert.display().to_string(),
                "--key".into(),
                pair.key.display().to_string(),
            ]);
        }
        args.push(format!("https://localhost:{nginx_port}/"));
        let theirs = common::curl(args).await;
        table += &format!(
            "{name} | {:?} | {:?}\n",
            theirs.status_line, ours.status_line
        );
        assert_eq!(theirs.status, want, "nginx, {name}: {theirs:?}");
        assert_eq!(ours.status, want, "certgate, {name}: {ours:?}");
    }
    let ours = common::curl(vec![format!("http://127.0.0.1:{}/", env.port())]).await;
    let theirs = common::curl(vec![format!("http://127.0.0.1:{nginx_port}/")]).await;
    table += &format!(
        "plain HTTP | {:?} | {:?}\n",
        theirs.status_line, ours.status_line
    );
    assert_eq!((theirs.status, ours.status), (497, 497));
    eprintln!("{table}");
    // Only the valid request reached our upstream.
    assert_eq!(env.echo.count(), 1);
    env.gw.shutdown().await;
}
