//! `newsdesk user ...`: accounts from the command line (the first admin has to come from here).
//!
//! Passwords are never taken from argv (they would land in shell history and `ps`): they are read
//! from the terminal without echo, or, when stdin is not a terminal, from its first line.

use std::io::{BufRead as _, IsTerminal as _};

use anyhow::{Context as _, bail};
use chrono::Utc;
use clap::Subcommand;
use newsdesk_core::EmailAddress;
use newsdesk_core::accounts::{
    API_TOKEN_PREFIX, AccountStore, NewAuditEntry, NewUser, Password, Role, new_secret_token,
    token_hash,
};
use newsdesk_core::hasher::PasswordHasher;

use crate::config::Config;

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user; the password is read from the terminal (or stdin's first line).
    Add {
        /// admin, editor or author.
        #[arg(long, default_value = "author")]
        role: String,
        /// Display name (default: the part of the address before the @).
        #[arg(long)]
        name: Option<String>,
        /// Author profile (slug) this user writes as.
        #[arg(long)]
        author: Option<String>,
        email: String,
    },
    /// Print a new API token for the user (shown once; only its hash is kept).
    Token {
        email: String,
        /// What the token is for.
        #[arg(long, default_value = "cli")]
        label: String,
    },
    /// List users and their API tokens.
    List,
    /// Revoke an API token by its id (see `user list`).
    RevokeToken { id: i64 },
    /// Disable a user: their sessions end and their tokens stop working.
    Disable { email: String },
    /// Enable a disabled user again.
    Enable { email: String },
    /// Set a new password (read like `add` does).
    Password { email: String },
}

pub async fn run(cmd: UserCommand, config: Config) -> anyhow::Result<()> {
    let store = crate::open_store(&config).await?;
    let now = Utc::now();
    match cmd {
        UserCommand::Add {
            role,
            name,
            author,
            email,
        } => {
            let role = Role::parse(&role)
                .with_context(|| format!("unknown role {role:?}: use admin, editor or author"))?;
            let email = EmailAddress::parse(&email).map_err(|e| anyhow::anyhow!("{}", e.0))?;
            let author_id = match author {
                Some(slug) => {
                    let slug = newsdesk_core::Slug::parse(&slug)
                        .map_err(|e| anyhow::anyhow!("{}", e.0))?;
                    Some(
                        store
                            .author_by_slug(&slug)
                            .await?
                            .with_context(|| format!("no author profile {slug}"))?
                            .id,
                    )
                }
                None => None,
            };
            let password = read_password()?;
            let hash = PasswordHasher::new(1, 0).hash(password).await?;
            let name = name.unwrap_or_else(|| {
                email
                    .as_str()
                    .split('@')
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            });
            let user = store
                .create_user(
                    &NewUser {
                        email,
                        name,
                        role,
                        password_hash: hash,
                        author_id,
                    },
                    now,
                )
                .await
                .map_err(|e| match e {
                    newsdesk_core::StoreError::Conflict(_) => {
                        anyhow::anyhow!("a user with that address exists already")
                    }
                    other => other.into(),
                })?;
            audit(store.as_ref(), "user.add", &format!("user {}", user.email)).await?;
            println!(
                "created {} user {} (id {})",
                user.role.as_str(),
                user.email,
                user.id
            );
        }
        UserCommand::Token { email, label } => {
            let user = find(store.as_ref(), &email).await?;
            let token = new_secret_token(API_TOKEN_PREFIX);
            let t = store
                .create_api_token(user.id, &label, &token_hash(&token), now)
                .await?;
            audit(
                store.as_ref(),
                "token.create",
                &format!("token {} of {}", t.id, user.email),
            )
            .await?;
            eprintln!(
                "API token {} for {} (shown once; send it as `Authorization: Bearer <token>`):",
                t.id, user.email
            );
            println!("{token}");
        }
        UserCommand::List => {
            let authors: std::collections::HashMap<_, _> = store
                .list_authors()
                .await?
                .into_iter()
                .map(|a| (a.id, a))
                .collect();
            for u in store.list_users().await? {
                // The byline a user writes under, or why their articles would have none.
                let profile = match u.author_id.and_then(|id| authors.get(&id)) {
                    Some(a) => format!("author {} ({})", a.slug.as_str(), a.name),
                    None => "no author profile".to_owned(),
                };
                println!(
                    "{}\t{}\t{}\t{}\t{profile}{}",
                    u.id,
                    u.email,
                    u.role.as_str(),
                    u.name,
                    if u.disabled { "\t(disabled)" } else { "" }
                );
                for t in store.list_api_tokens(u.id).await? {
                    let state = match (t.revoked_at, t.last_used_at) {
                        (Some(r), _) => format!("revoked {}", r.to_rfc3339()),
                        (None, Some(l)) => format!("last used {}", l.to_rfc3339()),
                        (None, None) => "never used".to_owned(),
                    };
                    println!("\ttoken {}\t{}\t{state}", t.id, t.label);
                }
            }
        }
        UserCommand::RevokeToken { id } => {
            store
                .revoke_api_token(id, now)
                .await
                .map_err(|_| anyhow::anyhow!("no API token with id {id}"))?;
            audit(store.as_ref(), "token.revoke", &format!("token {id}")).await?;
            println!("revoked token {id}");
        }
        UserCommand::Disable { email } => {
            let user = find(store.as_ref(), &email).await?;
            store.set_user_disabled(user.id, true).await?;
            audit(
                store.as_ref(),
                "user.disable",
                &format!("user {}", user.email),
            )
            .await?;
            println!("disabled {}", user.email);
        }
        UserCommand::Enable { email } => {
            let user = find(store.as_ref(), &email).await?;
            store.set_user_disabled(user.id, false).await?;
            audit(
                store.as_ref(),
                "user.enable",
                &format!("user {}", user.email),
            )
            .await?;
            println!("enabled {}", user.email);
        }
        UserCommand::Password { email } => {
            let user = find(store.as_ref(), &email).await?;
            let password = read_password()?;
            let hash = PasswordHasher::new(1, 0).hash(password).await?;
            // A new password from the command line ends every session (e.g. after a leak).
            let ended = store.set_password_hash(user.id, &hash, None).await?;
            audit(
                store.as_ref(),
                "user.password",
                &format!("user {}", user.email),
            )
            .await?;
            println!(
                "password changed for {}; {ended} session(s) signed out",
                user.email
            );
        }
    }
    Ok(())
}

async fn find(
    store: &dyn AccountStore,
    email: &str,
) -> anyhow::Result<newsdesk_core::accounts::User> {
    let email = EmailAddress::parse(email).map_err(|e| anyhow::anyhow!("{}", e.0))?;
    Ok(store
        .credentials_by_email(&email)
        .await?
        .with_context(|| format!("no user {email}"))?
        .user)
}

async fn audit(store: &dyn AccountStore, action: &str, target: &str) -> anyhow::Result<()> {
    store
        .append_audit(&NewAuditEntry {
            at: Utc::now(),
            user_id: None,
            actor: "cli".into(),
            action: action.into(),
            target: target.into(),
        })
        .await?;
    Ok(())
}

/// From the terminal (asked twice, no echo) or stdin's first line.
fn read_password() -> anyhow::Result<Password> {
    let raw = if std::io::stdin().is_terminal() {
        let a = rpassword::prompt_password("Password: ")?;
        let b = rpassword::prompt_password("Repeat password: ")?;
        if a != b {
            bail!("the passwords differ");
        }
        a
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    Password::parse(&raw).map_err(|e| anyhow::anyhow!("{}", e.0))
}
