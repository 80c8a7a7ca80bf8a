//! Photo uploads: validated by their bytes (never their name or declared type), decoded with
//! limits, resized into responsive widths, and kept in the media store (the data directory's
//! `uploads/` or S3).

use std::collections::HashMap;
use std::io::Cursor;

use axum::extract::Multipart;
use chrono::{Datelike as _, Utc};
use image::{ImageDecoder as _, ImageFormat, ImageReader, Limits};
use newsdesk_core::accounts::User;
use newsdesk_core::editorial::{PhotoRendition, RENDITION_WIDTHS};
use newsdesk_core::{NewPhoto, Photo};

use crate::auth::audit;
use crate::error::AppError;
use crate::state::AppState;

/// Largest upload accepted (the request body, file and fields together).
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;
/// Larger images are refused from their header, before any pixel is decoded: a 445 KB PNG
/// can claim 12,000 x 12,000 pixels and cost 750 MB and seconds of CPU to decode.
pub const MAX_DIMENSION: u32 = 12_000;
/// Pixels per image (width x height): 40 megapixels, more than any camera photo a newsroom
/// publishes needs, ~160 MB as RGBA while it is resized.
pub const MAX_PIXELS: u64 = 40_000_000;
const MAX_DECODE_ALLOC: u64 = 256 * 1024 * 1024;

/// The text fields and the one file of a multipart form.
#[derive(Default)]
pub struct UploadForm {
    fields: HashMap<String, String>,
    /// Every text field in the order sent, repeated names included (the editor's tags).
    pub pairs: Vec<(String, String)>,
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
            form.pairs.push((name.clone(), text.clone()));
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

/// Sniffs, checks the header against the pixel budget, decodes with limits, applies the EXIF
/// orientation, and re-encodes the original and every rendition from the pixels alone: no
/// EXIF, GPS position, camera, artist or text chunk of the upload survives (source protection).
/// CPU-heavy: run on a blocking thread, under the decode bound.
fn process(bytes: Vec<u8>) -> Result<Processed, AppError> {
    let format = image::guess_format(&bytes)
        .map_err(|_| bad("That file is not a JPEG, PNG, WebP or GIF image."))?;
    // WebP and GIF originals are kept as PNG: re-encoding is what strips their metadata.
    let (ext, content_type, out_format) = match format {
        ImageFormat::Jpeg => ("jpg", "image/jpeg", ImageFormat::Jpeg),
        ImageFormat::Png | ImageFormat::WebP | ImageFormat::Gif => {
            ("png", "image/png", ImageFormat::Png)
        }
        _ => return Err(bad("That file is not a JPEG, PNG, WebP or GIF image.")),
    };
    let (w, h) = ImageReader::with_format(Cursor::new(&bytes), format)
        .into_dimensions()
        .map_err(|e| bad(format!("The image could not be read: {e}")))?;
    check_budget(w, h)?;
    let mut reader = ImageReader::with_format(Cursor::new(&bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| bad(format!("The image could not be decoded: {e}")))?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = image::DynamicImage::from_decoder(decoder)
        .map_err(|e| bad(format!("The image could not be decoded: {e}")))?;
    img.apply_orientation(orientation);
    let (width, height) = (img.width(), img.height());
    let original = encode(&img, out_format)?;
    let mut renditions = Vec::new();
    for w in RENDITION_WIDTHS {
        if w >= width {
            continue;
        }
        let h = ((u64::from(height) * u64::from(w)) / u64::from(width)).max(1) as u32;
        let small = img.resize(w, h, image::imageops::FilterType::Triangle);
        let bytes = encode(&small, out_format)?;
        renditions.push((small.width(), small.height(), bytes));
    }
    Ok(Processed {
        ext,
        content_type,
        width,
        height,
        original,
        renditions,
    })
}

/// Refuses an image whose header claims more than the budget (before decoding it).
fn check_budget(width: u32, height: u32) -> Result<(), AppError> {
    let pixels = u64::from(width) * u64::from(height);
    if width > MAX_DIMENSION || height > MAX_DIMENSION || pixels > MAX_PIXELS {
        return Err(bad(format!(
            "The image is {width} x {height} pixels; at most {MAX_DIMENSION} pixels a side and {} megapixels are accepted.",
            MAX_PIXELS / 1_000_000
        )));
    }
    Ok(())
}

/// Pixels only: the encoders write no metadata of the upload.
fn encode(img: &image::DynamicImage, format: ImageFormat) -> Result<Vec<u8>, AppError> {
    let mut buf = Cursor::new(Vec::new());
    let res = if format == ImageFormat::Jpeg {
        let rgb = image::DynamicImage::ImageRgb8(img.to_rgb8());
        rgb.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
            &mut buf, 90,
        ))
    } else {
        img.write_to(&mut buf, format)
    };
    res.map_err(|e| AppError::Internal(anyhow::anyhow!("encoding an image: {e}")))?;
    Ok(buf.into_inner())
}

/// Decodes running at once: each may hold a few hundred MB, so no more than one per core,
/// whatever the number of parallel uploads.
fn decode_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(1, |n| n.get()))
    })
}

/// How many decodes ran at the same time at most (for tests).
pub fn peak_concurrent_decodes() -> usize {
    PEAK_DECODES.load(std::sync::atomic::Ordering::Relaxed)
}

static RUNNING_DECODES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static PEAK_DECODES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

async fn process_bounded(bytes: Vec<u8>) -> Result<Processed, AppError> {
    use std::sync::atomic::Ordering;
    let _slot = decode_slots()
        .acquire()
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _enter = span.enter();
        let now = RUNNING_DECODES.fetch_add(1, Ordering::AcqRel) + 1;
        PEAK_DECODES.fetch_max(now, Ordering::AcqRel);
        let out = process(bytes);
        RUNNING_DECODES.fetch_sub(1, Ordering::AcqRel);
        out
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
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
    let p = process_bounded(bytes).await?;
    let now = Utc::now();
    // A random name: nothing the uploader chose ends up in a path.
    let stem = format!("{:04}/{}", now.year(), hex::encode(rand_bytes()));
    let rendition_ext = p.ext;
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
    let written = files.iter().map(|(f, _)| f.clone()).collect::<Vec<_>>();
    // Files first, row last: a photo row never points at bytes no node can serve.
    for (f, bytes) in files {
        state
            .media
            .put(&f, bytes, p.content_type)
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("writing the upload {f}: {e}")))?;
    }
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
