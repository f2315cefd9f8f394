#ifndef CWHARFVIPS_H
#define CWHARFVIPS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Opaque libvips image (a VipsImage*), so Swift callers need not see GObject types.
typedef struct _VipsImage WharfVipsImage;

/// Starts libvips once per process and turns its operation cache off (we cache results ourselves).
/// Returns 0 on success.
int wharf_vips_init(const char *program_name);

/// The libvips version as "major.minor.micro" (static storage).
const char *wharf_vips_version(void);

/// The last libvips error message (a copy the caller must free with wharf_vips_free), then clears it.
char *wharf_vips_take_error(void);

/// Frees memory that libvips allocated (buffers, error strings).
void wharf_vips_free(void *p);

/// Drops a reference to an image.
void wharf_vips_unref(WharfVipsImage *image);

/// Per-thread cleanup for threads that ran libvips work.
void wharf_vips_thread_shutdown(void);

/// `vips_thumbnail_buffer(buf, len, &out, width, "height", height, "size", VIPS_SIZE_DOWN, NULL)`.
/// Shrink-on-load aware resize that never upscales. Returns 0 on success.
int wharf_vips_thumbnail_buffer(const void *buf, size_t len, WharfVipsImage **out, int width, int height);

int wharf_vips_image_width(const WharfVipsImage *image);
int wharf_vips_image_height(const WharfVipsImage *image);

/// Saves as WebP with quality `q` and `strip`. Returns 0 on success; `*out` is freed with wharf_vips_free.
int wharf_vips_webpsave_buffer(WharfVipsImage *image, void **out, size_t *out_len, int q);

/// Saves as AVIF (heifsave with compression=AV1: heifsave defaults to HEVC) at quality `q` and `effort`.
int wharf_vips_avifsave_buffer(WharfVipsImage *image, void **out, size_t *out_len, int q, int effort);

/// Saves as JPEG with quality `q`, progressive, stripped of metadata.
int wharf_vips_jpegsave_buffer(WharfVipsImage *image, void **out, size_t *out_len, int q);

#ifdef __cplusplus
}
#endif

#endif
