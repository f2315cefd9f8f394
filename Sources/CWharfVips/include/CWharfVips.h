#ifndef CWHARFVIPS_H
#define CWHARFVIPS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Opaque libvips image (a VipsImage*), so Swift callers need not see GObject types.
typedef struct _VipsImage WharfVipsImage;

/// Starts libvips once per process: operation cache off (Wharf caches results itself), one
/// libvips worker thread per operation (parallelism comes from Wharf's pool), loaders marked
/// untrusted (ImageMagick, MATLAB, …) blocked. Returns 0 on success.
int wharf_vips_init(const char *program_name);

/// The libvips version as "major.minor.micro" (static storage).
const char *wharf_vips_version(void);

/// The last libvips error message (a copy the caller must free with wharf_vips_free), then clears it.
char *wharf_vips_take_error(void);

/// Clears libvips' error buffer (before each operation, so a message belongs to it).
void wharf_vips_clear_error(void);

/// Frees memory that libvips allocated (buffers, error strings).
void wharf_vips_free(void *p);

/// Drops a reference to an image.
void wharf_vips_unref(WharfVipsImage *image);

/// What the header of an encoded image says, read without decoding any pixels.
typedef struct {
    /// Stored (not oriented) size of one frame.
    int width;
    int height;
    /// Frames (pages) in the file: 1 for still images.
    int pages;
    /// EXIF orientation 1–8 (1 when absent).
    int orientation;
    int has_alpha;
    /// The loader libvips picked, e.g. "jpegload_buffer" (static storage).
    const char *loader;
} WharfVipsHeader;

/// The loader libvips would use for `buf` (a GType name such as "VipsForeignLoadJpegBuffer",
/// static storage), from its first bytes only, or NULL. Checked before any header is parsed.
const char *wharf_vips_find_loader(const void *buf, size_t len);

/// Finds a loader and reads the header of `buf`. No pixel is decoded, so a decompression bomb
/// costs nothing here. Returns 0 on success, -1 when no loader accepts the bytes or the header
/// is unreadable.
int wharf_vips_probe_buffer(const void *buf, size_t len, WharfVipsHeader *header);

/// `vips_thumbnail_buffer` to exactly `width`×`height` (size=FORCE: the caller computed the
/// aspect), with shrink-on-load, EXIF auto-rotation, `fail_on=error` (truncated and corrupt
/// data fail instead of coming out grey) and, when `frames` > 1, the first `frames` pages.
int wharf_vips_thumbnail_buffer(const void *buf, size_t len, WharfVipsImage **out,
                                int width, int height, int frames);

/// Crops a box.
int wharf_vips_extract_area(WharfVipsImage *in, WharfVipsImage **out, int left, int top, int width, int height);

/// Crops to `width`×`height` around the most interesting part: `interesting` is a
/// VipsInteresting (2 = entropy, 3 = attention).
int wharf_vips_smartcrop(WharfVipsImage *in, WharfVipsImage **out, int width, int height, int interesting);

/// Places `in` at (x, y) on a `width`×`height` canvas of colour r, g, b, a (0–255; `a` is only
/// used when `transparent` is set, which adds an alpha band first if there is none).
int wharf_vips_embed(WharfVipsImage *in, WharfVipsImage **out, int x, int y, int width, int height,
                     int transparent, double r, double g, double b);

/// Converts to 8-bit sRGB: through the embedded ICC profile when there is one (unless it is an
/// sRGB profile on 8-bit sRGB pixels: then they are copied as they are), through libvips' CMYK
/// profile for CMYK without one, else by colourspace conversion. Greyscale stays greyscale.
int wharf_vips_to_srgb(WharfVipsImage *in, WharfVipsImage **out);

/// Removes EXIF, XMP, IPTC, ICC and comment metadata from a copy of `in`. The savers' `strip`
/// is also set, but libvips 8.14's webpsave ignores it (libvips#3340), so metadata goes here.
int wharf_vips_strip_metadata(WharfVipsImage *in, WharfVipsImage **out);

/// Flattens an alpha band onto r, g, b (for JPEG). Copies when there is no alpha.
int wharf_vips_flatten(WharfVipsImage *in, WharfVipsImage **out, double r, double g, double b);

/// Arms a deadline: while `image` (or anything computed from it) is evaluated, libvips' eval
/// signal checks the monotonic clock and kills the computation once `deadline_us`
/// (g_get_monotonic_time() units) has passed. The save then fails with "killed".
void wharf_vips_set_deadline(WharfVipsImage *image, int64_t deadline_us);

/// The current g_get_monotonic_time(), in microseconds.
int64_t wharf_vips_monotonic_us(void);

int wharf_vips_image_width(const WharfVipsImage *image);
int wharf_vips_image_height(const WharfVipsImage *image);
int wharf_vips_image_has_alpha(WharfVipsImage *image);
/// Whether the image still carries an ICC profile.
int wharf_vips_image_has_icc(const WharfVipsImage *image);

/// Savers. Each strips metadata. `*out` is freed with wharf_vips_free. Return 0 on success.
int wharf_vips_webpsave_buffer(WharfVipsImage *image, void **out, size_t *out_len, int q, int effort);
/// AVIF: heifsave with compression=AV1 (heifsave defaults to HEVC for buffers).
int wharf_vips_avifsave_buffer(WharfVipsImage *image, void **out, size_t *out_len, int q, int effort);
int wharf_vips_jpegsave_buffer(WharfVipsImage *image, void **out, size_t *out_len, int q, int progressive);
int wharf_vips_pngsave_buffer(WharfVipsImage *image, void **out, size_t *out_len, int compression);

/// Whether every pixel of `buf` decodes without error (`fail_on=error`). Used after a failed
/// save to tell a broken source from an encoder failure: libvips' error text is process-wide
/// and cannot be trusted to belong to this request.
int wharf_vips_decodes(const void *buf, size_t len, int frames);

/// Decodes `buf` fully and reads the pixel at (x, y) into `values` (up to 4 bands); for tests
/// and health checks. Returns the number of bands, or -1.
int wharf_vips_decode_pixel(const void *buf, size_t len, int x, int y, double values[4],
                            int *width, int *height);

/// Decodes `buf` and computes the mean and standard deviation of all its pixel values (all
/// bands together): a blank image has a deviation near 0. Returns 0 on success.
int wharf_vips_statistics(const void *buf, size_t len, int *width, int *height, double *mean, double *deviation);

#ifdef __cplusplus
}
#endif

#endif
