import Testing
@testable import WharfHTTP

@Suite("EntityTag")
struct EntityTagTests {
    @Test func headerValue() {
        #expect(EntityTag("abc123-br").headerValue == "\"abc123-br\"")
        #expect(EntityTag("abc", weak: true).headerValue == "W/\"abc\"")
        #expect(EntityTag("").headerValue == "\"\"")
    }

    @Test(arguments: [
        ("\"abc\"", EntityTag("abc")),
        ("W/\"abc\"", EntityTag("abc", weak: true)),
        ("  W/\"abc\"\t", EntityTag("abc", weak: true)),
        ("\"\"", EntityTag("")),
        ("\"a,b\"", EntityTag("a,b")),
        ("\"x-gz\"", EntityTag("x-gz")),
    ])
    func parsesValidTags(input: String, expected: EntityTag) {
        let tag = EntityTag.parse(Substring(input))
        #expect(tag == expected)
        #expect(tag?.isWeak == expected.isWeak)
    }

    @Test(arguments: ["", "abc", "\"abc", "abc\"", "w/\"abc\"", "W\"abc\"", "W/abc", "\"a\"b\"", "\"a\" \"b\"", "\"a b\"", "\"a\"x", "*"])
    func rejectsMalformedTags(input: String) {
        #expect(EntityTag.parse(Substring(input)) == nil)
    }

    @Test func parsesFromSubstringSlice() {
        let field = "xx\"abc\"yy"
        let slice = field.dropFirst(2).dropLast(2)
        #expect(EntityTag.parse(slice) == EntityTag("abc"))
    }

    @Test func comparisonTable() {
        let strong = EntityTag("1")
        let weak = EntityTag("1", weak: true)
        let other = EntityTag("2")
        // RFC 9110 §8.8.3.2 example table.
        #expect(!weak.strongMatches(weak))
        #expect(weak.weakMatches(weak))
        #expect(!weak.strongMatches(EntityTag("2", weak: true)))
        #expect(!weak.weakMatches(EntityTag("2", weak: true)))
        #expect(!weak.strongMatches(strong))
        #expect(weak.weakMatches(strong))
        #expect(strong.strongMatches(EntityTag("1")))
        #expect(strong.weakMatches(EntityTag("1")))
        #expect(!strong.strongMatches(other))
        #expect(!strong.weakMatches(other))
    }

    @Test func comparesBytesNotCanonicalEquivalence() {
        let composed = EntityTag("caf\u{E9}")
        let decomposed = EntityTag("cafe\u{301}")
        #expect(composed != decomposed)
        #expect(!composed.weakMatches(decomposed))
        #expect(Set([composed, decomposed, EntityTag("caf\u{E9}")]).count == 2)
        #expect(EntityTag("a") != EntityTag("a", weak: true))
    }
}

@Suite("EntityTagCondition")
struct EntityTagConditionTests {
    @Test func star() {
        #expect(EntityTagCondition.parse("*") == .any)
        #expect(EntityTagCondition.parse("  *\t") == .any)
    }

    @Test(arguments: [
        ("\"a\"", [EntityTag("a")]),
        ("\"a\", W/\"b\"", [EntityTag("a"), EntityTag("b", weak: true)]),
        ("\"a\",\"b\" ,  \"c\"", [EntityTag("a"), EntityTag("b"), EntityTag("c")]),
        (",, \"a\" ,,", [EntityTag("a")]),
        ("\"a,b\"", [EntityTag("a,b")]),
        ("junk, \"a\"", [EntityTag("a")]),
        ("\"a\" junk, \"b\"", [EntityTag("b")]),
        ("*, \"a\"", [EntityTag("a")]),
        ("abc", []),
        ("", []),
        ("w/\"a\", \"b", []),
    ])
    func lists(input: String, expected: [EntityTag]) {
        #expect(EntityTagCondition.parse(input) == .tags(expected))
    }
}
