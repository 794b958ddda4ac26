//! `simplepg`: serve (default), migrate, sign, call, listen, …

use anyhow::Context;
use app_server::{
    Application, Settings, check,
    cli::{
        Cli, Command, MerchantCommand, call, cancel, listen, sign,
        user::{self, UserCommand},
        verify,
    },
    reencrypt, startup, telemetry,
};
use clap::Parser;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Sign(args) => {
            print!("{}", sign::run(&args));
            Ok(())
        }
        Command::Migrate => {
            let settings = Settings::load().context("loading configuration")?;
            telemetry::init(&settings.log);
            let applied = startup::migrate(&settings).await?;
            tracing::info!(applied, "migrations applied");
            Ok(())
        }
        Command::Check => {
            let settings = Settings::load().context("loading configuration")?;
            telemetry::init(&settings.log);
            let report = check::run(&settings).await?;
            print!("{}", check::render(&report));
            let settlements = app_server::cli::settle::service(&settings)?.check().await?;
            print!("{}", check::render_settlements(&settlements));
            if report.violations.is_empty() && settlements.is_clean() {
                Ok(())
            } else {
                std::process::exit(1)
            }
        }
        Command::ReencryptSecrets(args) => {
            let settings = Settings::load().context("loading configuration")?;
            telemetry::init(&settings.log);
            if args.check {
                let stale = reencrypt::stale(&settings).await?;
                print!(
                    "{}",
                    reencrypt::render_stale(&stale, settings.security.encryption_key_version)
                );
                if !stale.is_empty() {
                    std::process::exit(1)
                }
            } else {
                print!(
                    "{}",
                    reencrypt::render_report(&reencrypt::run(&settings).await?)
                );
            }
            Ok(())
        }
        Command::Settle(args) => {
            let settings = Settings::load().context("loading configuration")?;
            telemetry::init(&settings.log);
            let run = app_server::cli::settle::settle(&settings, &args).await?;
            print!("{}", app_server::cli::settle::render(&run));
            Ok(())
        }
        Command::Reconcile(args) => {
            let settings = Settings::load().context("loading configuration")?;
            telemetry::init(&settings.log);
            let rec = match app_server::cli::reconcile::reconcile(&settings, &args).await {
                Ok(rec) => rec,
                Err(e) => {
                    // 1 means discrepancies; a reconciliation that could not be made is 2.
                    eprintln!("Error: {e:#}");
                    std::process::exit(2);
                }
            };
            print!("{}", app_server::cli::reconcile::render(&rec));
            if !rec.discrepancies.is_empty() {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::User(command) => {
            let settings = Settings::load().context("loading configuration")?;
            telemetry::init(&settings.log);
            match command {
                UserCommand::Create(args) => {
                    let password = user::read_password()?;
                    let created = user::create(&settings, &args, &password).await?;
                    print!("{}", user::render(&created, "created"));
                }
                UserCommand::Unlock(args) => {
                    let unlocked = user::unlock(&settings, &args).await?;
                    print!("{}", user::render(&unlocked, "unlocked"));
                }
            }
            Ok(())
        }
        Command::Call(args) => {
            let (status, body) = call::call(&args).await?;
            println!("HTTP {status}\n{body}");
            if status >= 400 {
                std::process::exit(1)
            } else {
                Ok(())
            }
        }
        Command::Merchant(MerchantCommand::Create(args)) => {
            let (status, body) = call::merchant_create(&args).await?;
            println!("HTTP {status}\n{body}");
            if status == 201 {
                Ok(())
            } else {
                std::process::exit(1)
            }
        }
        Command::Cancel(args) => {
            let (status, body) = cancel::cancel(&args).await?;
            println!("HTTP {status}\n{body}");
            eprintln!("{}", cancel::outcome(status, &body));
            if status == 200 || status == 202 {
                Ok(())
            } else {
                std::process::exit(1)
            }
        }
        Command::VerifyWebhook(args) => {
            let body = if args.body == "-" {
                let mut buf = Vec::new();
                std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)?;
                buf
            } else {
                std::fs::read(&args.body).with_context(|| format!("reading {}", args.body))?
            };
            let now = domain::Timestamp::from_datetime(time::OffsetDateTime::now_utc());
            match verify::verify(&args, &body, now) {
                Ok(msg) => {
                    println!("{msg}");
                    Ok(())
                }
                Err(reason) => {
                    eprintln!("invalid: {reason}");
                    std::process::exit(1)
                }
            }
        }
        Command::Listen(args) => listen::run(&args).await,
        Command::Serve => serve().await,
    }
}

async fn serve() -> anyhow::Result<()> {
    let settings = Settings::load().context("loading configuration")?;
    telemetry::init(&settings.log);
    let dev = settings.development_values_in_use();
    if !dev.is_empty() {
        tracing::warn!(
            profile = %settings.profile,
            settings = ?dev,
            "DEVELOPMENT VALUES IN USE: these secrets are public; never run this configuration in production"
        );
    }
    let app = Application::build(settings.clone())
        .await
        .context("starting SimplePG")?;
    tracing::info!(
        profile = %settings.profile,
        store = app.stores().kind.name(),
        address = %format!("{}:{}", settings.server.host, app.port()),
        public_url = app.public_url(),
        "SimplePG listening"
    );
    let handle = app.handle();
    actix_web::rt::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutdown requested: finishing in-flight requests");
        handle.stop(true).await;
    });
    app.run_until_stopped()
        .await
        .context("HTTP server failed")?;
    tracing::info!("SimplePG stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {},
                    _ = term.recv() => {},
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
