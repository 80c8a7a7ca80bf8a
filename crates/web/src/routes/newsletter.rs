//! The newsletter sign-up form: `POST /newsletter`.
//!
//! The answer never says whether an address was already subscribed, and a bot that fills the
//! hidden `website` field gets the same answer with nothing stored.

use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{DefaultBodyLimit, Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::Utc;
use newsdesk_core::EmailAddress;
use serde::Deserialize;

use crate::error::{AppError, ErrorPage};
use crate::routes::site::render;
use crate::state::AppState;
use crate::views::{Layout, NewsletterForm, NewsletterPage};

/// A sign-up form is two short fields; anything bigger is not from our form.
const MAX_FORM_BYTES: usize = 4 * 1024;
/// How much of a refused address is echoed back into the form.
const MAX_ECHO_CHARS: usize = 254;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/newsletter", post(sign_up))
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
}

#[derive(Deserialize)]
pub struct SignupForm {
    #[serde(default)]
    email: String,
    /// The honeypot: hidden from people, tempting to form-filling bots.
    #[serde(default)]
    website: String,
}

/// An error page response for statuses `AppError` has no variant for (403, 413, 415).
fn error_page(status: StatusCode, message: &str) -> Response {
    let mut res = status.into_response();
    res.extensions_mut().insert(ErrorPage {
        status,
        message: message.to_owned(),
    });
    res
}

async fn sign_up(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<SignupForm>, FormRejection>,
) -> Result<Response, AppError> {
    if !crate::csrf::is_same_origin(&headers, &state.site.base_url) {
        tracing::info!("refused a cross-site newsletter sign-up");
        return Ok(error_page(
            StatusCode::FORBIDDEN,
            "This form can only be sent from our own site. Please sign up from one of our pages.",
        ));
    }
    let form = match form {
        Ok(Form(form)) => form,
        Err(rejection) => {
            return Ok(error_page(
                rejection.status(),
                "We could not read that form. Please try again from one of our pages.",
            ));
        }
    };
    if !form.website.is_empty() {
        tracing::info!("newsletter honeypot filled; nothing stored");
        return page(&state, StatusCode::OK, true, NewsletterForm::default());
    }
    match EmailAddress::parse(&form.email) {
        Ok(email) => {
            // Created or already known: the same answer, so the form cannot be used to probe.
            state.store.add_subscriber(&email, Utc::now()).await?;
            page(&state, StatusCode::OK, true, NewsletterForm::default())
        }
        Err(invalid) => {
            let value: String = form.email.trim().chars().take(MAX_ECHO_CHARS).collect();
            page(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                false,
                NewsletterForm {
                    value,
                    error: Some(invalid.0),
                },
            )
        }
    }
}

fn page(
    state: &AppState,
    status: StatusCode,
    done: bool,
    newsletter: NewsletterForm,
) -> Result<Response, AppError> {
    let heading = if done {
        "Check your inbox to confirm"
    } else {
        "Sign up for our newsletter"
    };
    let mut layout = Layout::new(&state.site, heading, "/newsletter");
    layout.noindex = true;
    let view = NewsletterPage {
        layout,
        heading: heading.to_owned(),
        done,
        newsletter,
    };
    // An answer to one visitor's form: never cached (the compression layer still applies).
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ];
    Ok((status, headers, render(&view)?).into_response())
}
