#include "CWharfVips.h"
#include <vips/vips.h>
#include <string.h>

int wharf_vips_init(const char *program_name) {
    if (VIPS_INIT(program_name) != 0) {
        return -1;
    }
    // Results are cached by Wharf; libvips' own operation cache only holds memory.
    vips_cache_set_max(0);
    return 0;
}

const char *wharf_vips_version(void) {
    return vips_version_string();
}

char *wharf_vips_take_error(void) {
    const char *msg = vips_error_buffer();
    char *copy = g_strdup(msg ? msg : "");
    vips_error_clear();
    return copy;
}

void wharf_vips_free(void *p) {
    g_free(p);
}

void wharf_vips_unref(WharfVipsImage *image) {
    if (image) {
        g_object_unref((VipsImage *)image);
    }
}

void wharf_vips_thread_shutdown(void) {
    vips_thread_shutdown();
}

int wharf_vips_thumbnail_buffer(const void *buf, size_t len, WharfVipsImage **out, int width, int height) {
    vips_error_clear();
    VipsImage *img = NULL;
    int rc = vips_thumbnail_buffer((void *)buf, len, &img, width,
                                   "height", height,
                                   "size", VIPS_SIZE_DOWN,
                                   NULL);
    *out = (WharfVipsImage *)img;
    return rc;
}

int wharf_vips_image_width(const WharfVipsImage *image) {
    return vips_image_get_width((const VipsImage *)image);
}

int wharf_vips_image_height(const WharfVipsImage *image) {
    return vips_image_get_height((const VipsImage *)image);
}

int wharf_vips_webpsave_buffer(WharfVipsImage *image, void **out, size_t *out_len, int q) {
    vips_error_clear();
    return vips_webpsave_buffer((VipsImage *)image, out, out_len, "Q", q, "strip", TRUE, NULL);
}

int wharf_vips_avifsave_buffer(WharfVipsImage *image, void **out, size_t *out_len, int q, int effort) {
    vips_error_clear();
    return vips_heifsave_buffer((VipsImage *)image, out, out_len,
                                "Q", q,
                                "compression", VIPS_FOREIGN_HEIF_COMPRESSION_AV1,
                                "effort", effort,
                                "strip", TRUE,
                                NULL);
}

int wharf_vips_jpegsave_buffer(WharfVipsImage *image, void **out, size_t *out_len, int q) {
    vips_error_clear();
    return vips_jpegsave_buffer((VipsImage *)image, out, out_len,
                                "Q", q, "interlace", TRUE, "strip", TRUE, NULL);
}
