package media

import (
	"bufio"
	"bytes"
	"fmt"
	"mime"
	"strconv"
	"strings"
	"time"
)

// maxINFOBody bounds the DTMF bodies we read; real ones are ~30 bytes.
const maxINFOBody = 1024

// ParseINFO reads the digit of a SIP INFO request body:
// application/dtmf-relay ("Signal=5\r\nDuration=160\r\n", duration in ms)
// or application/dtmf (the key alone). Neither has an RFC; both are the
// de-facto formats of Cisco and most SBCs. A body that names no valid key
// is an error wrapping ErrBadDigit; another content type is
// ErrUnsupportedType.
func ParseINFO(contentType string, body []byte) (Digit, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return Digit{}, fmt.Errorf("content type %q: %w", contentType, ErrUnsupportedType)
	}
	if len(body) > maxINFOBody {
		return Digit{}, fmt.Errorf("dtmf body of %d bytes: %w", len(body), ErrBadDigit)
	}
	switch mt {
	case "application/dtmf-relay":
		return parseRelay(body)
	case "application/dtmf":
		s := strings.TrimSpace(string(body))
		if strings.Contains(s, "=") {
			return parseRelay(body) // some gateways send the relay form under this type
		}
		k, ok := keyOf(s)
		if !ok {
			return Digit{}, fmt.Errorf("dtmf body %q: %w", truncate(s), ErrBadDigit)
		}
		return Digit{Key: k, Method: MethodINFO}, nil
	}
	return Digit{}, fmt.Errorf("content type %q: %w", mt, ErrUnsupportedType)
}

func parseRelay(body []byte) (Digit, error) {
	d := Digit{Method: MethodINFO}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		name, value = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)
		switch name {
		case "signal":
			k, ok := keyOf(value)
			if !ok {
				return Digit{}, fmt.Errorf("dtmf-relay signal %q: %w", truncate(value), ErrBadDigit)
			}
			d.Key = k
		case "duration":
			ms, err := strconv.ParseUint(value, 10, 32)
			if err != nil || time.Duration(ms)*time.Millisecond > MaxDigitDuration {
				return Digit{}, fmt.Errorf("dtmf-relay duration %q ms (0-%d): %w", truncate(value), MaxDigitDuration.Milliseconds(), ErrBadDigit)
			}
			d.Duration = time.Duration(ms) * time.Millisecond
		}
	}
	if d.Key == 0 {
		return Digit{}, fmt.Errorf("dtmf-relay body without Signal: %w", ErrBadDigit)
	}
	return d, nil
}

// truncate keeps error messages one short line whatever the peer sent.
func truncate(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}
