//! `portico`: serve the portal (the default), apply migrations, invite the first admin, or seed
//! the demo company.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use portico_server::{config::Config, startup};

#[derive(Parser)]
#[command(
    name = "portico",
    version,
    about = "Portico, the customer portal for service businesses"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the portal (the default). With PORTICO_DEMO=true an empty database is first filled
    /// with the demo moving company.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Fill an empty database with the demo moving company and exit.
    SeedDemo,
    /// Print the current authenticator code of the demo people (demo data only).
    DemoCode,
    /// Invite an admin and print the set-up link (72 hours, single use): the first step of
    /// installing Portico for your company. On a new database, also names the company.
    CreateAdmin {
        /// The admin's e-mail address (their sign-in).
        #[arg(long)]
        email: String,
        /// The admin's name, as colleagues and customers see it.
        #[arg(long)]
        name: String,
        /// Your company's name; needed once, on a new database.
        #[arg(long)]
        company: Option<String>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("portico: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    match run(cli.command.unwrap_or(Command::Serve), config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "portico failed");
            eprintln!("portico: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> Result<(), startup::StartupError> {
    if let Command::DemoCode = command {
        println!("{}", startup::demo_code(chrono::Utc::now())?);
        return Ok(());
    }
    startup::init_tracing(&config)?;
    let db = startup::open_database(&config).await?;
    match command {
        Command::DemoCode => Ok(()),
        Command::CreateAdmin {
            email,
            name,
            company,
        } => {
            let sent =
                startup::create_admin(&db, &config, &email, &name, company.as_deref()).await?;
            println!("{sent}");
            Ok(())
        }
        Command::Migrate => {
            println!("Migrations applied.");
            Ok(())
        }
        Command::SeedDemo => {
            match startup::seed_demo(&db, &config).await? {
                Some(summary) => println!("{}", startup::describe_seed(&summary)),
                None => {
                    println!("The database already holds the demo company; nothing was changed.")
                }
            }
            Ok(())
        }
        Command::Serve => {
            if config.demo {
                if let Some(summary) = startup::seed_demo(&db, &config).await? {
                    println!("{}", startup::describe_seed(&summary));
                }
            }
            if let Some(first_step) = startup::check_installation(&db, &config).await? {
                println!("{first_step}");
            }
            startup::serve(&config, db).await
        }
    }
}
