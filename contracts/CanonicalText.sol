// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Limits, TextField} from "./CreditTypes.sol";
import {ICarbonLedgerErrors} from "./ICarbonLedgerErrors.sol";

/// @title What the ledger accepts as text, identifiers, codes and dates
/// @notice The one on-chain definition of every text rule (docs/ARCHITECTURE.md, "Canonical
/// identity and bounds"); `chain/canonical.py` mirrors it byte for byte and a property test
/// holds the two together.
///
/// - **Identifier** (namespaces, project ids): 1 to 64 bytes of `A-Z` and `0-9`, with
///   single `-`, `_` or `.` between them. One spelling per identity: no case, whitespace,
///   look-alike or invisible variant passes.
/// - **Programme code**: 1 to 16 bytes of `A-Z` and `0-9`, starting with a letter, zero-padded.
/// - **Text** (names, beneficiaries, notes, references): valid UTF-8 (shortest form, no
///   surrogates) within the field's limit ({Limits}), without C0/C1 controls or DEL (so no NUL, tab or
///   newline), the line and paragraph separators U+2028/2029, or the bidirectional embeddings,
///   overrides and isolates U+202A-202E and U+2066-2069 (the "Trojan Source" characters). A
///   text holds a visible character (not only spaces or invisible format characters: the
///   no-break and typographic spaces, soft hyphen, zero-width characters and joiners,
///   directional marks, word joiner and invisible operators, Hangul fillers, BOM), or is empty
///   where the field is optional.
/// - **Date**: a Gregorian calendar date `YYYYMMDD` in the years 1900-9999.
library CanonicalText {
    /// @dev {scan}'s answer when every byte is acceptable.
    uint256 internal constant ACCEPTED = type(uint256).max;

    /// @dev Reverts unless `text` is acceptable text for `field`, at most its limit long,
    /// holding a visible character or (unless `required`) empty; the error names the field. So
    /// no stored text is only spaces or invisible characters.
    function check(string calldata text, TextField field, bool required) internal pure {
        uint256 length = bytes(text).length;
        uint256 limit = maxLength(field);
        if (length > limit) revert ICarbonLedgerErrors.TextTooLong(name(field), length, limit);
        (uint256 bad, bool visible) = scan(bytes(text));
        if (bad != ACCEPTED) revert ICarbonLedgerErrors.TextNotAllowed(name(field), bad);
        if (!visible && (required || length != 0)) revert ICarbonLedgerErrors.TextBlank(name(field));
    }

    /// @dev The byte limit of a text field ({Limits}).
    function maxLength(TextField field) internal pure returns (uint256) {
        if (field == TextField.Note || field == TextField.Reason) return Limits.NOTE;
        if (field == TextField.RegistryReference) return Limits.REFERENCE;
        if (field == TextField.Country || field == TextField.Jurisdiction || field == TextField.Symbol) {
            return Limits.SHORT_TEXT;
        }
        return Limits.NAME;
    }

    /// @dev The name errors give a text field: the contract's own (struct or parameter) name.
    function name(TextField field) internal pure returns (string memory) {
        return [
            "name",
            "country",
            "methodology",
            "projectType",
            "registryReference",
            "beneficiary",
            "jurisdiction",
            "note",
            "reason",
            "symbol"
        ][uint8(field)];
    }

    /// @dev The offset of the first byte that makes `text` unacceptable ({ACCEPTED} if none), and
    /// whether a visible character came before it. Printable ASCII is checked a word at a time;
    /// from the first word holding anything else, byte by byte.
    function scan(bytes calldata text) internal pure returns (uint256 bad, bool visible) {
        uint256 length = text.length;
        uint256 i;
        assembly ("memory-safe") {
            let ones := 0x0101010101010101010101010101010101010101010101010101010101010101
            let highs := 0x8080808080808080808080808080808080808080808080808080808080808080
            let spaces := mul(ones, 0x20)
            for {} lt(i, length) { i := add(i, 32) } {
                let word := calldataload(add(text.offset, i))
                let left := sub(length, i)
                if lt(left, 32) {
                    // Past the end (the next argument, or zeros): spaces, acceptable and not
                    // visible, so they change neither answer.
                    let keep := not(shr(mul(8, left), not(0)))
                    word := or(and(word, keep), and(spaces, not(keep)))
                }
                // Every byte below 0x80 (ASCII), none below 0x20 and none 0x7f. With no high
                // bit set, the classic "has a byte below n" test, (x - n) & ~x & 0x80 per byte,
                // is exact (a borrow only comes from a byte that is below n).
                if and(word, highs) { break }
                if and(and(sub(word, spaces), not(word)), highs) { break }
                let dels := xor(word, mul(ones, 0x7f))
                if and(and(sub(dels, ones), not(dels)), highs) { break }
                if iszero(eq(word, spaces)) { visible := 1 }
            }
        }
        if (i >= length) return (ACCEPTED, visible);
        return _scanBytes(text, i, visible);
    }

    /// @dev {scan} from byte `i` on, one UTF-8 sequence at a time.
    // slither-disable-next-line cyclomatic-complexity -- a UTF-8 decoder, one case per lead byte
    function _scanBytes(bytes calldata text, uint256 i, bool visible) private pure returns (uint256 bad, bool seen) {
        bad = ACCEPTED;
        seen = visible;
        assembly ("memory-safe") {
            let end := add(text.offset, text.length)
            for { let p := add(text.offset, i) } lt(p, end) {} {
                let word := calldataload(p) // this sequence's bytes are its first four
                let c := byte(0, word)
                if lt(c, 0x80) {
                    if or(lt(c, 0x20), eq(c, 0x7f)) {
                        bad := sub(p, text.offset)
                        break
                    }
                    if iszero(eq(c, 0x20)) { seen := 1 }
                    p := add(p, 1)
                    continue
                }
                if seen {
                    // Once text is known visible, leads whose code points hold nothing forbidden,
                    // no surrogate and no overlong form only need their continuation bytes to be
                    // 10xxxxxx: E1 and E3-EF but ED (past U+2000-206F and the surrogates; CJK
                    // first), C3-DF (past Latin-1's controls), F0 with 90-BF next (no overlong)
                    // and F1-F3. Nearly all real text takes this path.
                    let head := shr(224, word)
                    if and(gt(c, 0xe2), lt(c, 0xf0)) {
                        if and(iszero(eq(c, 0xed)), eq(and(head, 0xc0c000), 0x808000)) {
                            if iszero(gt(add(p, 3), end)) {
                                p := add(p, 3)
                                continue
                            }
                        }
                    }
                    if and(gt(c, 0xc2), lt(c, 0xe0)) {
                        if eq(and(byte(1, word), 0xc0), 0x80) {
                            if iszero(gt(add(p, 2), end)) {
                                p := add(p, 2)
                                continue
                            }
                        }
                    }
                    if eq(c, 0xe1) {
                        if eq(and(head, 0xc0c000), 0x808000) {
                            if iszero(gt(add(p, 3), end)) {
                                p := add(p, 3)
                                continue
                            }
                        }
                    }
                    if and(gt(c, 0xef), lt(c, 0xf4)) {
                        // F0 needs 90-BF next; F1-F3 any continuation byte.
                        if and(eq(and(head, 0xc0c0c0), 0x808080), or(gt(c, 0xf0), gt(byte(1, word), 0x8f))) {
                            if iszero(gt(add(p, 4), end)) {
                                p := add(p, 4)
                                continue
                            }
                        }
                    }
                }
                // The lead byte gives the sequence's length; its continuation bytes must be
                // 10xxxxxx and the code point must need that length (shorter forms are
                // overlong). Leads 0x80-0xc1 and 0xf5-0xff start nothing.
                let point := 0
                let size := 0
                switch shr(4, c)
                case 0xc {
                    if gt(c, 0xc1) {
                        size := 2
                        point := or(shl(6, and(c, 0x1f)), and(byte(1, word), 0x3f))
                        if iszero(eq(and(byte(1, word), 0xc0), 0x80)) { size := 0 }
                    }
                }
                case 0xd {
                    size := 2
                    point := or(shl(6, and(c, 0x1f)), and(byte(1, word), 0x3f))
                    if iszero(eq(and(byte(1, word), 0xc0), 0x80)) { size := 0 }
                }
                case 0xe {
                    size := 3
                    point := or(or(shl(12, and(c, 0x0f)), shl(6, and(byte(1, word), 0x3f))), and(byte(2, word), 0x3f))
                    // Both continuation bytes: (b1 b2) & 0xc0c0 == 0x8080.
                    if or(iszero(eq(and(shr(224, word), 0xc0c000), 0x808000)), lt(point, 0x800)) { size := 0 }
                }
                case 0xf {
                    if lt(c, 0xf5) {
                        size := 4
                        point := or(
                            or(shl(18, and(c, 0x07)), shl(12, and(byte(1, word), 0x3f))),
                            or(shl(6, and(byte(2, word), 0x3f)), and(byte(3, word), 0x3f))
                        )
                        if or(
                            iszero(eq(and(shr(224, word), 0xc0c0c0), 0x808080)),
                            or(lt(point, 0x10000), gt(point, 0x10ffff))
                        ) { size := 0 }
                    }
                }
                // A bad or truncated sequence, or a surrogate.
                if or(or(iszero(size), gt(add(p, size), end)), and(gt(point, 0xd7ff), lt(point, 0xe000))) {
                    bad := sub(p, text.offset)
                    break
                }
                if lt(point, 0x2070) {
                    // C1 controls, U+2028/2029, the bidi embeddings, overrides and isolates.
                    if or(lt(point, 0xa0), or(and(gt(point, 0x2027), lt(point, 0x202f)), and(gt(point, 0x2065), lt(point, 0x206a)))) {
                        bad := sub(p, text.offset)
                        break
                    }
                }
                if iszero(seen) {
                    // Visible unless a space or an invisible format character (see the header).
                    let invisible := or(
                        or(or(eq(point, 0xa0), eq(point, 0xad)), or(eq(point, 0x34f), eq(point, 0x61c))),
                        or(or(eq(point, 0x115f), eq(point, 0x1160)), or(eq(point, 0x1680), eq(point, 0x180e)))
                    )
                    invisible := or(
                        invisible,
                        or(
                            or(and(gt(point, 0x1fff), lt(point, 0x2010)), eq(point, 0x202f)),
                            or(and(gt(point, 0x205e), lt(point, 0x2065)), eq(point, 0x3000))
                        )
                    )
                    invisible := or(invisible, or(eq(point, 0x3164), or(eq(point, 0xfeff), eq(point, 0xffa0))))
                    seen := iszero(invisible)
                }
                p := add(p, size)
            }
        }
    }

    /// @dev Whether `text` is a canonical identifier of at most `limit` bytes; with `numeric`,
    /// a decimal number without leading zeros.
    function isIdentifier(bytes calldata text, uint256 limit, bool numeric) internal pure returns (bool ok) {
        uint256 length = text.length;
        if (length == 0 || length > limit) return false;
        if (numeric) return _isDecimal(text);
        // A word at a time: every byte is classified at once (a high bit per byte and class),
        // then the separators' positions are checked. For bytes below 0x80, (byte | 0x80) - n
        // keeps the high bit exactly when byte >= n, (n | 0x80) - byte when byte <= n, and
        // ((byte ^ c) | 0x80) - 1 unless byte == c; none of them borrows from the next byte.
        assembly ("memory-safe") {
            let ones := 0x0101010101010101010101010101010101010101010101010101010101010101
            let highs := 0x8080808080808080808080808080808080808080808080808080808080808080
            let before := 1 // a separator "before" the first byte: none may start the identifier
            for { let i := 0 } 1 { i := add(i, 32) } {
                let word := calldataload(add(text.offset, i))
                let left := sub(length, i)
                if lt(left, 32) {
                    // Past the end: "A", always allowed.
                    let keep := not(shr(mul(8, left), not(0)))
                    word := or(and(word, keep), and(mul(ones, 0x41), not(keep)))
                }
                if and(word, highs) { break }
                let high := or(word, highs)
                let separators := and(
                    highs,
                    or(
                        or(not(sub(or(xor(word, mul(ones, 0x2d)), highs), ones)), not(sub(or(xor(word, mul(ones, 0x5f)), highs), ones))),
                        not(sub(or(xor(word, mul(ones, 0x2e)), highs), ones))
                    )
                )
                let digits := and(sub(high, mul(ones, 0x30)), sub(or(mul(ones, 0x39), highs), word))
                let letters := and(sub(high, mul(ones, 0x41)), sub(or(mul(ones, 0x5a), highs), word))
                if iszero(eq(and(or(or(digits, letters), separators), highs), highs)) { break }
                // Byte k's flag shifted right by 8 lands on byte k + 1's: two in a row.
                if and(separators, or(shr(8, separators), shl(255, before))) { break }
                if iszero(gt(left, 32)) {
                    ok := iszero(and(shr(sub(263, mul(8, left)), separators), 1)) // none may end it
                    break
                }
                before := and(shr(7, separators), 1)
            }
        }
    }

    function _isDecimal(bytes calldata text) private pure returns (bool) {
        if (text.length > 1 && text[0] == "0") return false;
        for (uint256 i; i < text.length; ++i) {
            if (text[i] < "0" || text[i] > "9") return false;
        }
        return true;
    }

    /// @dev Whether `code` is a canonical programme code: 1-16 of `A-Z` and `0-9`, starting with
    /// a letter, then zero bytes only.
    function isProgramCode(bytes32 code) internal pure returns (bool) {
        if (code[0] < "A" || code[0] > "Z") return false;
        uint256 i = 1;
        for (; i < 32 && code[i] != 0; ++i) {
            if ((code[i] < "A" || code[i] > "Z") && (code[i] < "0" || code[i] > "9")) return false;
        }
        // The rest must be zero padding, and the code at most 16 bytes.
        return i <= 16 && uint256(code) << (8 * i) == 0;
    }

    /// @dev Whether `date` is a Gregorian calendar date `YYYYMMDD` in the years 1900-9999.
    function isDate(uint256 date) internal pure returns (bool) {
        uint256 year = date / 10000;
        uint256 month = (date / 100) % 100;
        uint256 day = date % 100;
        if (year < 1900 || year > 9999 || month == 0 || month > 12 || day == 0) return false;
        if (month == 2) {
            bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
            return day <= (leap ? 29 : 28);
        }
        return day <= (month == 4 || month == 6 || month == 9 || month == 11 ? 30 : 31);
    }
}
