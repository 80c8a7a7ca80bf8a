//! Newsroom accounts (admins only): the list, adding one, disabling and enabling, setting someone
//! else's password, and changing a role and the author profile a user writes as.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use chrono::Utc;
use newsdesk_core::accounts::{Action, NewUser, Ownership, Password, Role, User};
use newsdesk_core::{EmailAddress, Id, Slug};
use serde::Deserialize;

use super::{Chrome, audited_change, hash_off_executor, page};
use crate::auth::AdminUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::state::AppState;

/// Everything on this page needs it.
const MANAGE: Option<Action> = Some(Action::ManageUsers);

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(users).post(create_user))
        .route("/admin/users/{id}/disable", post(disable_user))
        .route("/admin/users/{id}/enable", post(enable_user))
        .route("/admin/users/{id}/password", post(reset_password))
        .route("/admin/users/{id}/role", post(change_role))
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersView {
    chrome: Chrome,
    /// Each user with the slug of the author profile they write as ("" for none).
    users: Vec<(User, String)>,
    roles: [Role; 3],
}

async fn users(State(state): State<AppState>, who: AdminUser) -> Result<Response, AppError> {
    who.require(Action::ManageUsers, Ownership::None)?;
    let authors = state.store.list_authors().await?;
    let users = state
        .store
        .list_users()
        .await?
        .into_iter()
        .map(|u| {
            let slug = authors
                .iter()
                .find(|a| Some(a.id) == u.author_id)
                .map(|a| a.slug.to_string())
                .unwrap_or_default();
            (u, slug)
        })
        .collect();
    page(UsersView {
        chrome: Chrome::new(&state, &who, "Users", "users"),
        users,
        roles: Role::ALL,
    })
}

/// The author profile named by a form's slug field; empty means none.
async fn author_for_slug(state: &AppState, raw: &str) -> Result<Option<Id>, AppError> {
    match raw.trim() {
        "" => Ok(None),
        s => {
            let slug = Slug::parse(s).map_err(|e| AppError::Unprocessable(e.0))?;
            Ok(Some(
                state
                    .store
                    .author_by_slug(&slug)
                    .await?
                    .ok_or_else(|| AppError::Unprocessable("No author with that slug.".into()))?
                    .id,
            ))
        }
    }
}

#[derive(Deserialize)]
struct RoleForm {
    role: String,
    #[serde(default)]
    author_slug: String,
}

/// Changes another user's role and the author profile they write as. Not your own: an admin
/// demoting themselves could leave the site with no admin.
async fn change_role(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { who, form: f }: CsrfForm<RoleForm>,
) -> Result<Response, AppError> {
    let change = async {
        if id == who.user.id {
            return Err(AppError::Conflict(
                "You cannot change your own role; another admin can.".into(),
            ));
        }
        let target = state.store.user(id).await?.ok_or(AppError::NotFound)?;
        let role =
            Role::parse(&f.role).ok_or_else(|| AppError::Unprocessable("Unknown role.".into()))?;
        let author_id = author_for_slug(&state, &f.author_slug).await?;
        let saved = state
            .store
            .update_user(id, &target.name, role, author_id)
            .await?;
        Ok(format!(
            "user {}: {} -> {}",
            saved.email,
            target.role.as_str(),
            saved.role.as_str()
        ))
    };
    audited_change(&state, &who, MANAGE, "user.role", "/admin/users", change).await
}

#[derive(Deserialize)]
struct UserForm {
    email: String,
    name: String,
    role: String,
    password: String,
    #[serde(default)]
    author_slug: String,
}

async fn create_user(
    State(state): State<AppState>,
    CsrfForm { who, form: f }: CsrfForm<UserForm>,
) -> Result<Response, AppError> {
    let change = async {
        let email = EmailAddress::parse(&f.email).map_err(|e| AppError::Unprocessable(e.0))?;
        let role =
            Role::parse(&f.role).ok_or_else(|| AppError::Unprocessable("Unknown role.".into()))?;
        let password = Password::parse(&f.password).map_err(|e| AppError::Unprocessable(e.0))?;
        let author_id = author_for_slug(&state, &f.author_slug).await?;
        let hash = hash_off_executor(&state, password).await?;
        let new = NewUser {
            email,
            name: f.name.trim().to_owned(),
            role,
            password_hash: hash,
            author_id,
        };
        let u = state.store.create_user(&new, Utc::now()).await?;
        Ok(format!("user {}", u.email))
    };
    audited_change(&state, &who, MANAGE, "user.add", "/admin/users", change).await
}

async fn set_disabled(
    state: AppState,
    who: AdminUser,
    id: Id,
    disabled: bool,
) -> Result<Response, AppError> {
    let change = async {
        if id == who.user.id && disabled {
            return Err(AppError::Conflict("You cannot disable yourself.".into()));
        }
        let u = state.store.set_user_disabled(id, disabled).await?;
        Ok(format!("user {}", u.email))
    };
    let event = if disabled {
        "user.disable"
    } else {
        "user.enable"
    };
    audited_change(&state, &who, MANAGE, event, "/admin/users", change).await
}

async fn disable_user(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { who, .. }: CsrfForm,
) -> Result<Response, AppError> {
    set_disabled(state, who, id, true).await
}

async fn enable_user(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { who, .. }: CsrfForm,
) -> Result<Response, AppError> {
    set_disabled(state, who, id, false).await
}

async fn reset_password(
    State(state): State<AppState>,
    Path(id): Path<Id>,
    CsrfForm { who, form: f }: CsrfForm<ResetForm>,
) -> Result<Response, AppError> {
    let change = async {
        if id == who.user.id {
            // Your own goes through the account page, which asks for the current password.
            return Err(AppError::Conflict(
                "Change your own password on your account page.".into(),
            ));
        }
        let target = state.store.user(id).await?.ok_or(AppError::NotFound)?;
        let password = Password::parse(&f.password)
            .map_err(|e| AppError::Unprocessable(format!("The new password: {}.", e.0)))?;
        let hash = hash_off_executor(&state, password).await?;
        // Every session of theirs ends: whoever had one must sign in with the new password.
        state.store.set_password_hash(id, &hash, None).await?;
        Ok(format!("user {}", target.email))
    };
    let event = "user.password.reset";
    audited_change(&state, &who, MANAGE, event, "/admin/users", change).await
}

#[derive(Deserialize)]
struct ResetForm {
    #[serde(default)]
    password: String,
}
