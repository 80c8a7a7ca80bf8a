//! Importing a wire story's lead photo: the picture the extractor found on the agency's page is
//! fetched once, checked and re-encoded from its pixels (no EXIF or text chunk of the agency's
//! file survives), and kept among our uploads (the media store), so that pages, feeds and mails show our copy
//! and never hotlink the agency.

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits};
use newsdesk_core::NewPhoto;

/// Longest side accepted, and the pixel budget of a decode: agency photos, not posters.
const MAX_DIMENSION: u32 = 8000;
const MAX_PIXELS: u64 = 40_000_000;
const MAX_DECODE_ALLOC: u64 = 512 * 1024 * 1024;
/// Photos narrower than this are icons, logos or tracking pixels, not lead photos.
const MIN_WIDTH: u32 = 200;

#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    #[error("not a JPEG, PNG, WebP or GIF image")]
    NotAnImage,
    #[error("the image is {0} x {1} pixels: out of bounds for a lead photo")]
    Size(u32, u32),
    #[error("the image cannot be decoded: {0}")]
    Decode(String),
}

/// A re-encoded photo, ready to be put in the media store under `photo.file`.
#[derive(Debug)]
pub struct Imported {
    pub photo: NewPhoto,
    pub bytes: Vec<u8>,
}

/// What the agency's page says about its photo.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhotoText {
    pub alt: String,
    pub caption: String,
    pub credit: String,
}

/// The credit line we print: the page's credit, with the agency named when the credit does
/// not already name it.
pub fn credit_line(credit: Option<&str>, agency: &str) -> String {
    let credit = credit.map(str::trim).unwrap_or_default();
    let agency = agency.trim();
    if credit.is_empty() {
        return agency.to_owned();
    }
    if agency.is_empty() || credit.to_lowercase().contains(&agency.to_lowercase()) {
        return credit.to_owned();
    }
    format!("{credit} / {agency}")
}

/// Decodes `bytes` and re-encodes them as the media key `<stem>.<ext>`; the caller stores the
/// bytes. CPU work: call it on a blocking thread.
pub fn import(bytes: &[u8], stem: &str, text: PhotoText) -> Result<Imported, PhotoError> {
    let format = image::guess_format(bytes).map_err(|_| PhotoError::NotAnImage)?;
    let (ext, content_type, out_format) = match format {
        ImageFormat::Jpeg => ("jpg", "image/jpeg", ImageFormat::Jpeg),
        ImageFormat::Png | ImageFormat::WebP | ImageFormat::Gif => {
            ("png", "image/png", ImageFormat::Png)
        }
        _ => return Err(PhotoError::NotAnImage),
    };
    let (w, h) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|e| PhotoError::Decode(e.to_string()))?;
    if !(MIN_WIDTH..=MAX_DIMENSION).contains(&w)
        || h > MAX_DIMENSION
        || u64::from(w) * u64::from(h) > MAX_PIXELS
    {
        return Err(PhotoError::Size(w, h));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let img = reader
        .decode()
        .map_err(|e| PhotoError::Decode(e.to_string()))?;
    let mut out = Cursor::new(Vec::new());
    let encoded = if out_format == ImageFormat::Jpeg {
        image::DynamicImage::ImageRgb8(img.to_rgb8()).write_with_encoder(
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 88),
        )
    } else {
        img.write_to(&mut out, out_format)
    };
    encoded.map_err(|e| PhotoError::Decode(e.to_string()))?;
    let file = format!("{stem}.{ext}");
    let alt = if text.alt.trim().is_empty() {
        text.caption.clone()
    } else {
        text.alt
    };
    Ok(Imported {
        photo: NewPhoto {
            file,
            content_type: content_type.to_owned(),
            alt,
            caption: text.caption,
            credit: text.credit,
            width: img.width(),
            height: img.height(),
        },
        bytes: out.into_inner(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credit_names_the_agency_once() {
        assert_eq!(credit_line(Some("Jo Lens"), "Wire A"), "Jo Lens / Wire A");
        assert_eq!(
            credit_line(Some("Jo Lens/Wire A"), "Wire A"),
            "Jo Lens/Wire A"
        );
        assert_eq!(credit_line(None, "Wire A"), "Wire A");
    }

    #[test]
    fn a_tracking_pixel_is_not_a_lead_photo() {
        let mut png = Cursor::new(Vec::new());
        image::DynamicImage::new_rgb8(1, 1)
            .write_to(&mut png, ImageFormat::Png)
            .expect("encode");
        let r = import(png.get_ref(), "x", PhotoText::default());
        assert!(matches!(r, Err(PhotoError::Size(1, 1))), "{r:?}");
    }
}
