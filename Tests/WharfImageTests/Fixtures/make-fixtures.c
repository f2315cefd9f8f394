#include <vips/vips.h>
#include <stdlib.h>
// Makes the synthetic fixtures (run from this directory: cc make-fixtures.c $(pkg-config --cflags --libs vips)
// && ./a.out rocket.jpg). EXIF-orientation fixtures: the pixels stored rotated, with an orientation tag that
// tells viewers to rotate them back.
static int save_oriented(VipsImage *upright, const char *path, int orientation) {
    VipsImage *stored = NULL, *copy = NULL;
    // Orientation 6: viewers rotate 90° clockwise, so store it rotated 90° anticlockwise.
    if (vips_rot(upright, &stored, VIPS_ANGLE_D270, NULL)) return -1;
    if (vips_copy(stored, &copy, NULL)) return -1;
    vips_image_set_int(copy, "orientation", orientation);
    if (vips_jpegsave(copy, path, "Q", 90, NULL)) return -1;
    // RGBA: left half opaque green, right half fully transparent.
    int aw = 120, ah = 80;
    unsigned char *apx = calloc(aw * ah * 4, 1);
    for (int y = 0; y < ah; y++) for (int x = 0; x < aw / 2; x++) {
        unsigned char *p = apx + (y * aw + x) * 4;
        p[1] = 200; p[3] = 255;
    }
    VipsImage *alpha = vips_image_new_from_memory_copy(apx, aw * ah * 4, aw, ah, 4, VIPS_FORMAT_UCHAR);
    if (vips_pngsave(alpha, "alpha.png", NULL)) vips_error_exit(NULL);
    // Animated GIF: 3 frames of 60x40 (red, green, blue), stacked with page-height 40.
    int fw = 60, fh = 40, frames = 3;
    unsigned char *fpx = malloc(fw * fh * frames * 3);
    for (int f = 0; f < frames; f++) for (int i = 0; i < fw * fh; i++) {
        unsigned char *p = fpx + (f * fw * fh + i) * 3;
        p[0] = f == 0 ? 220 : 10; p[1] = f == 1 ? 220 : 10; p[2] = f == 2 ? 220 : 10;
    }
    VipsImage *strip = vips_image_new_from_memory_copy(fpx, fw * fh * frames * 3, fw, fh * frames, 3, VIPS_FORMAT_UCHAR);
    VipsImage *anim = NULL;
    if (vips_copy(strip, &anim, NULL)) vips_error_exit(NULL);
    vips_image_set_int(anim, "page-height", fh);
    int delays[3] = {100, 100, 100};
    vips_image_set_array_int(anim, "delay", delays, frames);
    vips_image_set_int(anim, "loop", 0);
    if (vips_gifsave(anim, "animated.gif", NULL)) vips_error_exit(NULL);
    // sRGB (200, 30, 30) everywhere, stored as Display P3 numbers with the P3 profile embedded.
    unsigned char flat[32 * 32 * 3];
    for (int i = 0; i < 32 * 32; i++) { flat[i * 3] = 200; flat[i * 3 + 1] = 30; flat[i * 3 + 2] = 30; }
    VipsImage *srgb = vips_image_new_from_memory_copy(flat, sizeof flat, 32, 32, 3, VIPS_FORMAT_UCHAR);
    VipsImage *tagged = NULL, *p3 = NULL;
    if (vips_copy(srgb, &tagged, "interpretation", VIPS_INTERPRETATION_sRGB, NULL)) vips_error_exit(NULL);
    if (vips_icc_transform(tagged, &p3, "p3", "input_profile", "srgb", NULL)) vips_error_exit(NULL);
    if (vips_pngsave(p3, "p3-profile.png", NULL)) vips_error_exit(NULL);
    return 0;
}
int main(int argc, char **argv) {
    if (VIPS_INIT(argv[0])) vips_error_exit(NULL);
    int w = 300, h = 200;
    unsigned char *px = malloc(w * h * 3);
    for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) {
        unsigned char *p = px + (y * w + x) * 3;
        int red = x < w / 2 && y < h / 2;
        p[0] = red ? 230 : 20; p[1] = 20; p[2] = red ? 20 : 230;
    }
    VipsImage *marks = vips_image_new_from_memory_copy(px, w * h * 3, w, h, 3, VIPS_FORMAT_UCHAR);
    if (save_oriented(marks, "oriented-marks.jpg", 6)) vips_error_exit(NULL);
    VipsImage *rocket = vips_image_new_from_file(argv[1], "access", VIPS_ACCESS_RANDOM, NULL);
    if (!rocket || save_oriented(rocket, "rocket-orientation6.jpg", 6)) vips_error_exit(NULL);
    // RGBA: left half opaque green, right half fully transparent.
    int aw = 120, ah = 80;
    unsigned char *apx = calloc(aw * ah * 4, 1);
    for (int y = 0; y < ah; y++) for (int x = 0; x < aw / 2; x++) {
        unsigned char *p = apx + (y * aw + x) * 4;
        p[1] = 200; p[3] = 255;
    }
    VipsImage *alpha = vips_image_new_from_memory_copy(apx, aw * ah * 4, aw, ah, 4, VIPS_FORMAT_UCHAR);
    if (vips_pngsave(alpha, "alpha.png", NULL)) vips_error_exit(NULL);
    // Animated GIF: 3 frames of 60x40 (red, green, blue), stacked with page-height 40.
    int fw = 60, fh = 40, frames = 3;
    unsigned char *fpx = malloc(fw * fh * frames * 3);
    for (int f = 0; f < frames; f++) for (int i = 0; i < fw * fh; i++) {
        unsigned char *p = fpx + (f * fw * fh + i) * 3;
        p[0] = f == 0 ? 220 : 10; p[1] = f == 1 ? 220 : 10; p[2] = f == 2 ? 220 : 10;
    }
    VipsImage *strip = vips_image_new_from_memory_copy(fpx, fw * fh * frames * 3, fw, fh * frames, 3, VIPS_FORMAT_UCHAR);
    VipsImage *anim = NULL;
    if (vips_copy(strip, &anim, NULL)) vips_error_exit(NULL);
    vips_image_set_int(anim, "page-height", fh);
    int delays[3] = {100, 100, 100};
    vips_image_set_array_int(anim, "delay", delays, frames);
    vips_image_set_int(anim, "loop", 0);
    if (vips_gifsave(anim, "animated.gif", NULL)) vips_error_exit(NULL);
    // sRGB (200, 30, 30) everywhere, stored as Display P3 numbers with the P3 profile embedded.
    unsigned char flat[32 * 32 * 3];
    for (int i = 0; i < 32 * 32; i++) { flat[i * 3] = 200; flat[i * 3 + 1] = 30; flat[i * 3 + 2] = 30; }
    VipsImage *srgb = vips_image_new_from_memory_copy(flat, sizeof flat, 32, 32, 3, VIPS_FORMAT_UCHAR);
    VipsImage *tagged = NULL, *p3 = NULL;
    if (vips_copy(srgb, &tagged, "interpretation", VIPS_INTERPRETATION_sRGB, NULL)) vips_error_exit(NULL);
    if (vips_icc_transform(tagged, &p3, "p3", "input_profile", "srgb", NULL)) vips_error_exit(NULL);
    if (vips_pngsave(p3, "p3-profile.png", NULL)) vips_error_exit(NULL);
    return 0;
}
