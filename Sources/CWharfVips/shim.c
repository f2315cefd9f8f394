#include "CWharfVips.h"
#include <lcms2.h>
#include <vips/vips.h>
#include <stdio.h>
#include <string.h>

int wharf_vips_init(const char *program_name) {
    if (VIPS_INIT(program_name) != 0) {
        return -1;
    }
    // Results are cached by Wharf; libvips' own operation cache would only hold memory.
    vips_cache_set_max(0);
    vips_cache_set_max_mem(0);
    vips_cache_set_max_files(0);
    // Parallelism comes from Wharf's bounded pool: one libvips thread per operation.
    vips_concurrency_set(1);
    // Loaders libvips marks untrusted (ImageMagick, MATLAB, FITS, …) never see request data.
    vips_block_untrusted_set(TRUE);
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

void wharf_vips_clear_error(void) {
    vips_error_clear();
}

void wharf_vips_free(void *p) {
    g_free(p);
}

void wharf_vips_unref(WharfVipsImage *image) {
    if (image) {
        g_object_unref((VipsImage *)image);
    }
}

const char *wharf_vips_find_loader(const void *buf, size_t len) {
    vips_error_clear();
    const char *loader = vips_foreign_find_load_buffer(buf, len);
    // Interned by GObject's type system: it outlives any image.
    return loader ? g_intern_string(loader) : NULL;
}

int wharf_vips_probe_buffer(const void *buf, size_t len, WharfVipsHeader *header) {
    vips_error_clear();
    const char *loader = wharf_vips_find_loader(buf, len);
    if (!loader) {
        return -1;
    }
    // Opening is lazy: this reads the header only.
    VipsImage *img = vips_image_new_from_buffer(buf, len, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    if (!img) {
        return -1;
    }
    header->width = vips_image_get_width(img);
    header->height = vips_image_get_page_height(img);
    header->pages = vips_image_get_n_pages(img);
    header->orientation = vips_image_get_orientation(img);
    header->has_alpha = vips_image_hasalpha(img);
    header->loader = loader;
    g_object_unref(img);
    return 0;
}

static void wharf_free_copy(VipsImage *image, void *copy) {
    (void)image;
    g_free(copy);
}

int wharf_vips_thumbnail_buffer(const void *buf, size_t len, WharfVipsImage **out,
                                int width, int height, int frames) {
    vips_error_clear();
    VipsImage *img = NULL;
    // In 8.14 thumbnail's own fail_on does not reach the loader; the loader option string does.
    char options[48] = "fail_on=error";
    if (frames > 1) {
        snprintf(options, sizeof options, "fail_on=error,n=%d", frames);
    }
    // libvips reads the buffer lazily, when the pipeline is evaluated, and does not copy it: the
    // image gets its own copy, freed after it closes, so no caller's buffer has to outlive it.
    void *copy = g_memdup2(buf, len);
    int rc = vips_thumbnail_buffer(copy, len, &img, width,
                                   "height", height,
                                   "size", VIPS_SIZE_FORCE,
                                   "option_string", options,
                                   NULL);
    if (rc == 0 && img) {
        g_signal_connect(img, "postclose", G_CALLBACK(wharf_free_copy), copy);
    } else {
        g_free(copy);
    }
    *out = (WharfVipsImage *)img;
    return rc;
}

int wharf_vips_extract_area(WharfVipsImage *in, WharfVipsImage **out, int left, int top, int width, int height) {
    vips_error_clear();
    return vips_extract_area((VipsImage *)in, (VipsImage **)out, left, top, width, height, NULL);
}

int wharf_vips_smartcrop(WharfVipsImage *in, WharfVipsImage **out, int width, int height, int interesting) {
    vips_error_clear();
    // smartcrop reads its input more than once; the scaled image comes from a sequential
    // (read-once) load, so it is rendered to memory first. It is already output-sized.
    VipsImage *memory = vips_image_copy_memory((VipsImage *)in);
    if (!memory) {
        return -1;
    }
    int rc = vips_smartcrop(memory, (VipsImage **)out, width, height,
                            "interesting", (VipsInteresting)interesting, NULL);
    g_object_unref(memory);
    return rc;
}

/// A background with one value per band: grey images take the first colour value.
static VipsArrayDouble *background(VipsImage *image, double r, double g, double b, double a) {
    int bands = image->Bands;
    int alpha = vips_image_hasalpha(image);
    int colour = alpha ? bands - 1 : bands;
    double v[4];
    int n = 0;
    if (colour >= 3) {
        v[n++] = r; v[n++] = g; v[n++] = b;
    } else {
        v[n++] = r;
    }
    if (alpha) {
        v[n++] = a;
    }
    return vips_array_double_new(v, n);
}

int wharf_vips_embed(WharfVipsImage *in, WharfVipsImage **out, int x, int y, int width, int height,
                     int transparent, double r, double g, double b) {
    vips_error_clear();
    VipsImage *src = (VipsImage *)in;
    VipsImage *withAlpha = NULL;
    if (transparent && !vips_image_hasalpha(src)) {
        if (vips_addalpha(src, &withAlpha, NULL) != 0) {
            return -1;
        }
        src = withAlpha;
    }
    VipsArrayDouble *bg = background(src, r, g, b, transparent ? 0 : 255);
    int rc = vips_embed(src, (VipsImage **)out, x, y, width, height,
                        "extend", VIPS_EXTEND_BACKGROUND, "background", bg, NULL);
    vips_area_unref(VIPS_AREA(bg));
    if (withAlpha) {
        g_object_unref(withAlpha);
    }
    return rc;
}

/// Whether the embedded profile is an sRGB one (its description starts with "sRGB", e.g.
/// "sRGB IEC61966-2.1"): the pixels are sRGB already, and transforming them through it is an
/// identity that costs a sixth of a small transform. imgproxy makes the same check.
static int has_srgb_profile(VipsImage *img) {
    const void *data = NULL;
    size_t length = 0;
    if (vips_image_get_blob(img, VIPS_META_ICC_NAME, &data, &length) != 0 || length < 132) {
        vips_error_clear();
        return 0;
    }
    cmsHPROFILE profile = cmsOpenProfileFromMem(data, (cmsUInt32Number)length);
    if (!profile) {
        return 0;
    }
    char description[128] = "";
    cmsGetProfileInfoASCII(profile, cmsInfoDescription, "en", "US", description, sizeof description);
    int srgb = cmsGetColorSpace(profile) == cmsSigRgbData && strncmp(description, "sRGB", 4) == 0;
    cmsCloseProfile(profile);
    return srgb;
}

int wharf_vips_to_srgb(WharfVipsImage *in, WharfVipsImage **out) {
    vips_error_clear();
    VipsImage *img = (VipsImage *)in;
    VipsInterpretation interpretation = vips_image_get_interpretation(img);
    if (vips_image_get_typeof(img, VIPS_META_ICC_NAME) && interpretation == VIPS_INTERPRETATION_sRGB &&
        vips_image_get_format(img) == VIPS_FORMAT_UCHAR && has_srgb_profile(img)) {
        return vips_copy(img, (VipsImage **)out, NULL);
    }
    if (vips_image_get_typeof(img, VIPS_META_ICC_NAME)) {
        if (vips_icc_transform(img, (VipsImage **)out, "srgb", "embedded", TRUE,
                               "intent", VIPS_INTENT_RELATIVE, NULL) == 0) {
            return 0;
        }
        // A broken embedded profile: fall back to a plain conversion, as browsers do.
        vips_error_clear();
    } else if (interpretation == VIPS_INTERPRETATION_CMYK) {
        return vips_icc_transform(img, (VipsImage **)out, "srgb", "input_profile", "cmyk",
                                  "intent", VIPS_INTENT_RELATIVE, NULL);
    }
    VipsInterpretation target = VIPS_INTERPRETATION_sRGB;
    if (interpretation == VIPS_INTERPRETATION_B_W || interpretation == VIPS_INTERPRETATION_GREY16) {
        target = VIPS_INTERPRETATION_B_W;
    }
    if (interpretation == target && vips_image_get_format(img) == VIPS_FORMAT_UCHAR) {
        return vips_copy(img, (VipsImage **)out, NULL);
    }
    return vips_colourspace(img, (VipsImage **)out, target, NULL);
}

int wharf_vips_flatten(WharfVipsImage *in, WharfVipsImage **out, double r, double g, double b) {
    vips_error_clear();
    VipsImage *img = (VipsImage *)in;
    if (!vips_image_hasalpha(img)) {
        return vips_copy(img, (VipsImage **)out, NULL);
    }
    double v[3] = {r, g, b};
    VipsArrayDouble *bg = vips_array_double_new(v, img->Bands >= 4 ? 3 : 1);
    int rc = vips_flatten(img, (VipsImage **)out, "background", bg, NULL);
    vips_area_unref(VIPS_AREA(bg));
    return rc;
}

static void *collect_metadata(VipsImage *image, const char *field, GValue *value, void *names) {
    (void)image;
    (void)value;
    if (g_str_has_prefix(field, "exif-") || strcmp(field, "xmp-data") == 0 || strcmp(field, "iptc-data") == 0 ||
        strcmp(field, VIPS_META_ICC_NAME) == 0 || strcmp(field, "orientation") == 0 ||
        g_str_has_prefix(field, "gif-") || strcmp(field, "comment") == 0) {
        g_ptr_array_add((GPtrArray *)names, g_strdup(field));
    }
    return NULL;
}

int wharf_vips_strip_metadata(WharfVipsImage *in, WharfVipsImage **out) {
    vips_error_clear();
    VipsImage *copy = NULL;
    if (vips_copy((VipsImage *)in, &copy, NULL) != 0) {
        return -1;
    }
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    vips_image_map(copy, collect_metadata, names);
    for (guint i = 0; i < names->len; i++) {
        vips_image_remove(copy, g_ptr_array_index(names, i));
    }
    g_ptr_array_free(names, TRUE);
    *out = (WharfVipsImage *)copy;
    return 0;
}

static void wharf_eval_check(VipsImage *image, VipsProgress *progress, void *user) {
    (void)progress;
    const gint64 *deadline = (const gint64 *)user;
    if (g_get_monotonic_time() >= *deadline) {
        vips_image_set_kill(image, TRUE);
    }
}

void wharf_vips_set_deadline(WharfVipsImage *image, int64_t deadline_us) {
    VipsImage *img = (VipsImage *)image;
    gint64 *deadline = g_new(gint64, 1);
    *deadline = deadline_us;
    vips_image_set_progress(img, TRUE);
    g_signal_connect_data(img, "eval", G_CALLBACK(wharf_eval_check), deadline,
                          (GClosureNotify)(void (*)(void))g_free, 0);
}

int64_t wharf_vips_monotonic_us(void) {
    return g_get_monotonic_time();
}

int wharf_vips_image_width(const WharfVipsImage *image) {
    return vips_image_get_width((const VipsImage *)image);
}

int wharf_vips_image_height(const WharfVipsImage *image) {
    return vips_image_get_height((const VipsImage *)image);
}

int wharf_vips_image_has_alpha(WharfVipsImage *image) {
    return vips_image_hasalpha((VipsImage *)image);
}

int wharf_vips_image_has_icc(const WharfVipsImage *image) {
    return vips_image_get_typeof((const VipsImage *)image, VIPS_META_ICC_NAME) != 0;
}

int wharf_vips_webpsave_buffer(WharfVipsImage *image, void **out, size_t *out_len, int q, int effort) {
    vips_error_clear();
    return vips_webpsave_buffer((VipsImage *)image, out, out_len,
                                "Q", q, "effort", effort, "strip", TRUE, NULL);
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

int wharf_vips_jpegsave_buffer(WharfVipsImage *image, void **out, size_t *out_len, int q, int progressive) {
    vips_error_clear();
    return vips_jpegsave_buffer((VipsImage *)image, out, out_len,
                                "Q", q, "optimize_coding", TRUE, "interlace", progressive ? TRUE : FALSE,
                                "strip", TRUE, NULL);
}

int wharf_vips_pngsave_buffer(WharfVipsImage *image, void **out, size_t *out_len, int compression) {
    vips_error_clear();
    return vips_pngsave_buffer((VipsImage *)image, out, out_len,
                               "compression", compression, "strip", TRUE, NULL);
}

int wharf_vips_decodes(const void *buf, size_t len, int frames) {
    char options[48] = "fail_on=error";
    if (frames > 1) {
        snprintf(options, sizeof options, "fail_on=error,n=%d", frames);
    }
    VipsImage *img = vips_image_new_from_buffer(buf, len, options, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    if (!img) {
        return 0;
    }
    double mean = 0;
    int rc = vips_avg(img, &mean, NULL);
    g_object_unref(img);
    return rc == 0;
}

int wharf_vips_decode_pixel(const void *buf, size_t len, int x, int y, double values[4],
                            int *width, int *height) {
    vips_error_clear();
    VipsImage *img = vips_image_new_from_buffer(buf, len, "", NULL);
    if (!img) {
        return -1;
    }
    *width = vips_image_get_width(img);
    *height = vips_image_get_height(img);
    double *vector = NULL;
    int n = 0;
    int rc = vips_getpoint(img, &vector, &n, x, y, NULL);
    g_object_unref(img);
    if (rc != 0) {
        return -1;
    }
    for (int i = 0; i < n && i < 4; i++) {
        values[i] = vector[i];
    }
    g_free(vector);
    return n;
}

int wharf_vips_statistics(const void *buf, size_t len, int *width, int *height, double *mean, double *deviation) {
    vips_error_clear();
    VipsImage *img = vips_image_new_from_buffer(buf, len, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    if (!img) {
        return -1;
    }
    *width = vips_image_get_width(img);
    *height = vips_image_get_height(img);
    VipsImage *stats = NULL;
    int rc = vips_stats(img, &stats, NULL);
    g_object_unref(img);
    if (rc != 0) {
        return -1;
    }
    // Row 0 holds the statistics of all bands together: columns 4 (mean) and 5 (deviation).
    *mean = *VIPS_MATRIX(stats, 4, 0);
    *deviation = *VIPS_MATRIX(stats, 5, 0);
    g_object_unref(stats);
    return 0;
}
