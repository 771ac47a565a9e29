package sip

import (
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Session timers, the UAS side of RFC 4028: a caller that asks for them
// (Session-Expires with Supported or Require: timer) gets them, as the
// refresher (refresher=uac); a refresh is a re-INVITE or an UPDATE; with
// no refresh in time we hang up. A caller asking us to refresh
// (refresher=uas) gets no timer: the call then ends by RTP inactivity.

// minSE is our Min-SE: the RFC's floor (RFC 4028 4).
const minSE = 90 * time.Second

// sessionExpires is a request's Session-Expires: the interval and the
// refresher asked for ("" if none); ok false when absent or unreadable.
func sessionExpires(req *sip.Request) (d time.Duration, refresher string, ok bool) {
	h := req.GetHeader("Session-Expires")
	if h == nil {
		h = req.GetHeader("x") // compact form (RFC 4028 4)
	}
	if h == nil {
		return 0, "", false
	}
	v, params, _ := strings.Cut(h.Value(), ";")
	n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
	if err != nil {
		return 0, "", false
	}
	for _, p := range strings.Split(params, ";") {
		k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(k, "refresher") {
			refresher = strings.ToLower(strings.TrimSpace(val))
		}
	}
	return time.Duration(n) * time.Second, refresher, true
}

// timerSupported reports whether the request lists the timer extension in
// Supported or Require.
func timerSupported(req *sip.Request) bool {
	for _, name := range []string{"Supported", "k", "Require"} {
		for _, h := range req.GetHeaders(name) {
			for _, opt := range strings.Split(h.Value(), ",") {
				if strings.EqualFold(strings.TrimSpace(opt), "timer") {
					return true
				}
			}
		}
	}
	return false
}

// sessionInterval decides a request's session timer: the interval we run
// (0: none) or, for an interval below our Min-SE, tooSmall.
func sessionInterval(req *sip.Request) (d time.Duration, tooSmall bool) {
	d, refresher, ok := sessionExpires(req)
	switch {
	case !ok:
		return 0, false
	case d < minSE:
		return 0, true
	case !timerSupported(req) || refresher == "uas":
		return 0, false
	}
	return d, false
}

// sessionHeaders are the answer's headers for an interval d > 0.
func sessionHeaders(d time.Duration) []sip.Header {
	return []sip.Header{
		sip.NewHeader("Session-Expires", strconv.Itoa(int(d/time.Second))+";refresher=uac"),
		sip.NewHeader("Require", "timer"),
	}
}

func minSEHeader() sip.Header { return sip.NewHeader("Min-SE", strconv.Itoa(int(minSE/time.Second))) }

// expiryWait is how long after a refresh we wait before hanging up: the
// interval less min(32 s, a third of it) (RFC 4028 10).
func expiryWait(d time.Duration) time.Duration {
	return d - min(32*time.Second, d/3)
}
