package media

import (
	"errors"
	"testing"
	"time"
)

func TestParseINFO(t *testing.T) {
	for _, tc := range []struct {
		ct, body string
		want     Digit
		err      error
	}{
		{"application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", Digit{Key: '5', Method: MethodINFO, Duration: 160 * time.Millisecond}, nil},
		{"Application/DTMF-Relay; charset=utf-8", "signal = #\nduration= 250", Digit{Key: '#', Method: MethodINFO, Duration: 250 * time.Millisecond}, nil},
		{"application/dtmf-relay", "Signal=*", Digit{Key: '*', Method: MethodINFO}, nil},
		{"application/dtmf-relay", "Signal=10\r\nDuration=100", Digit{Key: '*', Method: MethodINFO, Duration: 100 * time.Millisecond}, nil},
		{"application/dtmf-relay", "Signal=d", Digit{Key: 'D', Method: MethodINFO}, nil},
		{"application/dtmf", "7", Digit{Key: '7', Method: MethodINFO}, nil},
		{"application/dtmf", " 11\r\n", Digit{Key: '#', Method: MethodINFO}, nil},
		{"application/dtmf", "Signal=3\nDuration=90", Digit{Key: '3', Method: MethodINFO, Duration: 90 * time.Millisecond}, nil},
		{"application/dtmf-relay", "Duration=160", Digit{}, ErrBadDigit},
		{"application/dtmf-relay", "Signal=55", Digit{}, ErrBadDigit},
		{"application/dtmf-relay", "Signal=X", Digit{}, ErrBadDigit},
		{"application/dtmf-relay", "Signal=1\nDuration=-5", Digit{}, ErrBadDigit},
		{"application/dtmf-relay", "Signal=1\nDuration=99999999", Digit{}, ErrBadDigit},
		{"application/dtmf", "", Digit{}, ErrBadDigit},
		{"text/plain", "5", Digit{}, ErrUnsupportedType},
		{"", "5", Digit{}, ErrUnsupportedType},
	} {
		got, err := ParseINFO(tc.ct, []byte(tc.body))
		if !errors.Is(err, tc.err) || got != tc.want {
			t.Errorf("ParseINFO(%q, %q) = %+v, %v; want %+v, %v", tc.ct, tc.body, got, err, tc.want, tc.err)
		}
	}
}

func FuzzParseINFO(f *testing.F) {
	f.Add("application/dtmf-relay", []byte("Signal=5\r\nDuration=160\r\n"))
	f.Add("application/dtmf", []byte("#"))
	f.Add("application/dtmf-relay;x=\"", []byte("Signal=\x00"))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		d, err := ParseINFO(ct, body)
		if err != nil {
			if !errors.Is(err, ErrBadDigit) && !errors.Is(err, ErrUnsupportedType) {
				t.Fatalf("unwrapped error %v", err)
			}
			return
		}
		if _, ok := keyOf(string(d.Key)); !ok || d.Duration < 0 || d.Duration > MaxDigitDuration || d.Method != MethodINFO {
			t.Fatalf("accepted %+v", d)
		}
	})
}
