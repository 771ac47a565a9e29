package store

import (
	"bytes"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
)

// nulEscape is how JSON writes U+0000. PostgreSQL's jsonb refuses it
// ("unsupported Unicode escape sequence", SQLSTATE 22P05) and its text types
// refuse the NUL byte itself.
const nulEscape = `\u0000`

// logSafeJSON rewrites every JSON escape \u0000 as \\u0000, so a NUL inside a
// payload string is stored as the six characters `\u0000`: jsonb accepts it,
// and a reader who needs the original can map the text back. Escapes are
// walked in pairs, so an escaped backslash followed by "u0000" (the text
// `\u0000` typed literally) is left alone.
func logSafeJSON(b []byte) []byte {
	if !bytes.Contains(b, []byte(nulEscape)) {
		return b
	}
	out := make([]byte, 0, len(b)+8)
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 == len(b) {
			out = append(out, b[i])
			continue
		}
		if bytes.HasPrefix(b[i:], []byte(nulEscape)) {
			out = append(out, `\\u0000`...)
			i += len(nulEscape) - 1
			continue
		}
		out = append(out, b[i], b[i+1])
		i++
	}
	return out
}

// logSafeText makes a reference column (ids, queue, actor) storable on
// PostgreSQL: NUL becomes the text `\u0000`, as in payloads, and invalid
// UTF-8 becomes U+FFFD.
func logSafeText(s string) string {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", nulEscape)
}

// rejected tells an append error caused by the data (retrying cannot help)
// from an unavailable database.
func rejected(err error) bool {
	if errors.Is(err, ErrInvalid) || errors.Is(err, ErrReference) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 22 is data exception, 23 integrity constraint violation.
		return strings.HasPrefix(pgErr.Code, "22") || strings.HasPrefix(pgErr.Code, "23")
	}
	return false
}
