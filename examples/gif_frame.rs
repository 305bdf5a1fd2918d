//! One frame of an animated GIF (the training animation `micrograd train`
//! writes for `outputs.boundary_animation`) as a PNG, for showing it where
//! a GIF cannot go.
//!
//! ```bash
//! cargo run --example gif_frame -- training.gif 25 frame.png
//! ```

use std::fs::File;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [gif_path, index, png_path] = args.as_slice() else {
        return Err("usage: gif_frame ANIMATION.gif FRAME OUT.png (frames count from 0)".into());
    };
    let wanted: usize = index.parse()?;
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options.read_info(File::open(gif_path)?)?;
    let mut frames = 0;
    while let Some(frame) = decoder.read_next_frame()? {
        if frames == wanted {
            let mut encoder = png::Encoder::new(
                File::create(png_path)?,
                u32::from(frame.width),
                u32::from(frame.height),
            );
            encoder.set_color(png::ColorType::Rgba);
            encoder.set_depth(png::BitDepth::Eight);
            encoder.write_header()?.write_image_data(&frame.buffer)?;
        }
        frames += 1;
    }
    if wanted >= frames {
        return Err(format!(
            "{gif_path} has {frames} frames, 0 to {}",
            frames.saturating_sub(1)
        )
        .into());
    }
    println!("frame {wanted} of {frames} written to {png_path}");
    Ok(())
}
