//! Photo uploads: validated by their bytes (never their name or declared type), decoded with
//! limits, resized into responsive widths, and stored under the data directory's `uploads/`.

use std::collections::HashMap;
use std::io::Cursor;

use axum::extract::Multipart;
use chrono::{Datelike as _, Utc};
use image::{ImageFormat, ImageReader, Limits};
use newsdesk_core::accounts::User;
use newsdesk_core::editorial::{PhotoRendition, RENDITION_WIDTHS};
use newsdesk_core::{NewPhoto, Photo};

use crate::auth::audit;
use crate::error::AppError;
use crate::state::AppState;

/// Largest upload accepted (the request body, file and fields together).
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;
/// Larger images are refused rather than decoded (a small PNG can claim to be huge).
const MAX_DIMENSION: u32 = 12_000;
const MAX_DECODE_ALLOC: u64 = 512 * 1024 * 1024;

/// The text fields and the one file of a multipart form.
#[derive(Default)]
pub struct UploadForm {
    fields: HashMap<String, String>,
    pub file: Option<Vec<u8>>,
}

impl UploadForm {
    pub fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }
}

fn bad(m: impl Into<String>) -> AppError {
    AppError::Unprocessable(m.into())
}

pub async fn read_form(mut multipart: Multipart) -> Result<UploadForm, AppError> {
    let mut form = UploadForm::default();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| bad(format!("The upload could not be read: {}", e.body_text())))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let bytes = field
                .bytes()
                .await
                .map_err(|e| bad(format!("The upload could not be read: {}", e.body_text())))?;
            if !bytes.is_empty() {
                form.file = Some(bytes.to_vec());
            }
        } else {
            let text = field
                .text()
                .await
                .map_err(|e| bad(format!("The form could not be read: {}", e.body_text())))?;
            form.fields.insert(name, text);
        }
    }
    Ok(form)
}

/// What processing an upload produced, before it is recorded.
struct Processed {
    ext: &'static str,
    content_type: &'static str,
    width: u32,
    height: u32,
    original: Vec<u8>,
    renditions: Vec<(u32, u32, Vec<u8>)>,
}

/// Sniffs, decodes with limits, and resizes. CPU-heavy: run on a blocking thread.
fn process(bytes: Vec<u8>) -> Result<Processed, AppError> {
    let format = image::guess_format(&bytes)
        .map_err(|_| bad("That file is not a JPEG, PNG, WebP or GIF image."))?;
    let (ext, content_type, out_format) = match format {
        ImageFormat::Jpeg => ("jpg", "image/jpeg", ImageFormat::Jpeg),
        ImageFormat::Png => ("png", "image/png", ImageFormat::Png),
        ImageFormat::WebP => ("webp", "image/webp", ImageFormat::Png),
        ImageFormat::Gif => ("gif", "image/gif", ImageFormat::Png),
        _ => return Err(bad("That file is not a JPEG, PNG, WebP or GIF image.")),
    };
    let mut reader = ImageReader::with_format(Cursor::new(&bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let img = reader
        .decode()
        .map_err(|e| bad(format!("The image could not be decoded: {e}")))?;
    let (width, height) = (img.width(), img.height());
    let mut renditions = Vec::new();
    for w in RENDITION_WIDTHS {
        if w >= width {
            continue;
        }
        let h = ((u64::from(height) * u64::from(w)) / u64::from(width)).max(1) as u32;
        let small = img.resize(w, h, image::imageops::FilterType::Triangle);
        let mut buf = Cursor::new(Vec::new());
        let small = if out_format == ImageFormat::Jpeg {
            image::DynamicImage::ImageRgb8(small.to_rgb8())
        } else {
            small
        };
        small
            .write_to(&mut buf, out_format)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("encoding a rendition: {e}")))?;
        renditions.push((small.width(), small.height(), buf.into_inner()));
    }
    Ok(Processed {
        ext,
        content_type,
        width,
        height,
        original: bytes,
        renditions,
    })
}

/// Validates and stores the form's photo, with its renditions.
pub async fn store_photo(
    state: &AppState,
    user: &User,
    form: &UploadForm,
) -> Result<Photo, AppError> {
    let alt = form.field("alt").trim().to_owned();
    let caption = form.field("caption").trim().to_owned();
    let credit = form.field("credit").trim().to_owned();
    if alt.is_empty() || caption.is_empty() || credit.is_empty() {
        return Err(bad("Alt text, caption and credit are all required."));
    }
    let bytes = form
        .file
        .clone()
        .ok_or_else(|| bad("Choose an image file."))?;
    let p = tokio::task::spawn_blocking(move || process(bytes))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    let now = Utc::now();
    // A random name: nothing the uploader chose ends up in a path.
    let stem = format!("{:04}/{}", now.year(), hex::encode(rand_bytes()));
    let rendition_ext = if p.ext == "jpg" { "jpg" } else { "png" };
    let mut files = vec![(format!("{stem}.{}", p.ext), p.original)];
    let mut rends = Vec::new();
    for (w, h, bytes) in p.renditions {
        let f = format!("{stem}-{w}.{rendition_ext}");
        rends.push(PhotoRendition {
            file: f.clone(),
            width: w,
            height: h,
        });
        files.push((f, bytes));
    }
    let dir = state.uploads_dir.clone();
    let written = files.iter().map(|(f, _)| f.clone()).collect::<Vec<_>>();
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        for (f, bytes) in files {
            let path = dir.join(&f);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(path, bytes)?;
        }
        Ok(())
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
    .map_err(|e| AppError::Internal(anyhow::anyhow!("writing the upload: {e}")))?;
    let photo = state
        .store
        .create_photo(&NewPhoto {
            file: written[0].clone(),
            content_type: p.content_type.to_owned(),
            alt,
            caption,
            credit,
            width: p.width,
            height: p.height,
        })
        .await?;
    state.store.add_photo_renditions(photo.id, &rends).await?;
    audit(
        state,
        Some(user),
        "photo.upload",
        &format!("photo {}", photo.id),
    )
    .await;
    Ok(photo)
}

fn rand_bytes() -> [u8; 12] {
    rand::random()
}
