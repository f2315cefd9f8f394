/// A connection's copy of the site table, re-read only when the catalog changed: one atomic
/// load per request instead of a lock.
struct TableCache {
    private var table: StaticSite.Table
    private var version: Int
    private let site: StaticSite

    init(site: StaticSite) {
        self.site = site
        self.version = site.version.load(ordering: .acquiring)
        self.table = site.current
    }

    mutating func current() -> StaticSite.Table {
        let v = site.version.load(ordering: .acquiring)
        if v != version {
            version = v
            table = site.current
        }
        return table
    }
}
