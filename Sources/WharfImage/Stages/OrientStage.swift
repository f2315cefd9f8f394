/// Stage 2, orient: the size the source is *displayed* at. EXIF orientations 5–8 swap width and
/// height; libvips' thumbnail applies the rotation itself while it scales, so the plan is made
/// on the displayed size and the output comes out upright with its orientation tag removed.
public enum OrientStage {
    public static func displayedSize(_ header: SourceHeader) -> (width: Int, height: Int) {
        (5...8).contains(header.orientation) ? (header.height, header.width) : (header.width, header.height)
    }
}
