//! The photo library: the list and uploads (checked and resized in `crate::uploads`).

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use newsdesk_core::Id;
use newsdesk_core::accounts::{Action, Ownership};

use super::{Chrome, page, see_other};
use crate::auth::AdminUser;
use crate::error::AppError;
use crate::state::AppState;
use crate::uploads;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route(
        "/admin/photos",
        get(photos)
            .post(upload_photo)
            .layer(DefaultBodyLimit::max(uploads::MAX_UPLOAD_BYTES)),
    )
}

pub struct PhotoRow {
    pub id: Id,
    pub url: String,
    pub alt: String,
    pub caption: String,
    pub credit: String,
    pub size: String,
}

#[derive(Template)]
#[template(path = "admin/photos.html")]
struct PhotosView {
    chrome: Chrome,
    photos: Vec<PhotoRow>,
}

async fn photos_view(state: &AppState, who: &AdminUser) -> Result<PhotosView, AppError> {
    let list = state.store.list_photos(60).await?;
    Ok(PhotosView {
        chrome: Chrome::new(state, who, "Photos", "photos"),
        photos: list
            .iter()
            .map(|p| PhotoRow {
                id: p.id,
                url: crate::views::photo_url(p),
                alt: p.alt.clone(),
                caption: p.caption.clone(),
                credit: p.credit.clone(),
                size: format!("{}×{}", p.width, p.height),
            })
            .collect(),
    })
}

async fn photos(State(state): State<AppState>, who: AdminUser) -> Result<Response, AppError> {
    who.require(Action::UploadPhoto, Ownership::None)?;
    page(photos_view(&state, &who).await?)
}

async fn upload_photo(
    State(state): State<AppState>,
    who: AdminUser,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<Response, AppError> {
    who.require(Action::UploadPhoto, Ownership::None)?;
    let form = uploads::read_form(multipart).await?;
    who.verify_form(&state, &headers, form.field("csrf"))?;
    match uploads::store_photo(&state, &who.user, &form).await {
        Ok(_) => Ok(see_other("/admin/photos")),
        Err(AppError::Unprocessable(m)) => {
            let mut v = photos_view(&state, &who).await?;
            v.chrome.error = Some(m);
            let mut r = page(v)?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e),
    }
}
