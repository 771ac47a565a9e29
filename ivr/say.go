package ivr

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// SayKind is a kind of say piece: a value read out in words.
type SayKind string

// Say piece kinds.
const (
	SayNumber SayKind = "number" // 1203 → 一千两百零三 / one thousand two hundred three
	SayDigits SayKind = "digits" // 10000 → 一 零 零 零 零; letters and * # too
	SayMoney  SayKind = "money"  // 123.45 → 一百二十三元四角五分 / one hundred twenty three yuan forty five fen
	SayDate   SayKind = "date"   // 2026-12-15 → 二零二六年十二月十五日 / December fifteenth twenty twenty six
	SayTime   SayKind = "time"   // 09:05 → 九点五分 / nine oh five
)

var sayKinds = map[SayKind]bool{SayNumber: true, SayDigits: true, SayMoney: true, SayDate: true, SayTime: true}

// CheckSay reports whether value can be said as kind. Runs say values
// that fail it as digits.
func CheckSay(kind SayKind, value string) error {
	switch kind {
	case SayNumber:
		if _, _, _, err := splitNumber(value); err != nil {
			return err
		}
	case SayMoney:
		if _, err := ParseMoney(value); err != nil {
			return err
		}
	case SayDate:
		if _, err := time.Parse(time.DateOnly, value); err != nil {
			return fmt.Errorf("say date %q: want YYYY-MM-DD", value)
		}
	case SayTime:
		if _, err := time.Parse("15:04", value); err != nil {
			return fmt.Errorf("say time %q: want HH:MM", value)
		}
	case SayDigits:
	default:
		return fmt.Errorf("unknown say kind %q", kind)
	}
	return nil
}

// Say returns the prompt ids that read value as kind in lang ("zh" word
// order for zh, English for any other language). A value that does not
// parse as kind is read as digits.
func Say(lang string, kind SayKind, value string) []string {
	zh := lang == "zh"
	if CheckSay(kind, value) != nil {
		kind = SayDigits
	}
	switch kind {
	case SayNumber:
		neg, whole, frac, _ := splitNumber(value)
		var ids []string
		if neg {
			ids = append(ids, "n.minus")
		}
		ids = append(ids, sayInt(zh, whole)...)
		if frac != "" {
			ids = append(ids, "n.point")
			ids = append(ids, sayDigits(frac)...)
		}
		return ids
	case SayMoney:
		m, _ := ParseMoney(value)
		return sayMoney(zh, m)
	case SayDate:
		d, _ := time.Parse(time.DateOnly, value)
		if zh {
			ids := sayDigits(strconv.Itoa(d.Year()))
			ids = append(ids, "d.year")
			ids = append(ids, sayInt(true, int64(d.Month()))...)
			ids = append(ids, "d.month")
			ids = append(ids, sayInt(true, int64(d.Day()))...)
			return append(ids, "d.day")
		}
		ids := []string{fmt.Sprintf("d.m%d", d.Month()), fmt.Sprintf("d.o%d", d.Day())}
		return append(ids, sayYearEn(d.Year())...)
	case SayTime:
		t, _ := time.Parse("15:04", value)
		h, m := int64(t.Hour()), int64(t.Minute())
		if zh {
			ids := append(sayInt(true, h), "t.hour")
			if m == 0 {
				return append(ids, "m.zheng")
			}
			return append(append(ids, sayInt(true, m)...), "t.minute")
		}
		ids := sayInt(false, h)
		switch {
		case m == 0:
			return append(ids, "t.oclock")
		case m < 10:
			return append(append(ids, "n.oh"), sayInt(false, m)...)
		}
		return append(ids, sayInt(false, m)...)
	}
	return sayDigits(value)
}

func splitNumber(v string) (neg bool, whole int64, frac string, err error) {
	s := strings.TrimPrefix(v, "-")
	neg = s != v
	w, f, hasDot := strings.Cut(s, ".")
	whole, err = strconv.ParseInt(w, 10, 64)
	if err != nil || whole < 0 || strings.HasPrefix(w, "+") {
		return false, 0, "", fmt.Errorf("say number %q: not a decimal number", v)
	}
	if hasDot {
		if f == "" || strings.TrimFunc(f, unicode.IsDigit) != "" {
			return false, 0, "", fmt.Errorf("say number %q: not a decimal number", v)
		}
	}
	return neg, whole, f, nil
}

func sayDigits(s string) []string {
	ids := make([]string, 0, len(s))
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= '0' && r <= '9':
			ids = append(ids, "n."+string(r))
		case r >= 'a' && r <= 'z':
			ids = append(ids, "c."+string(r))
		case r == '*':
			ids = append(ids, "d.star")
		case r == '#':
			ids = append(ids, "d.hash")
		case r == '.':
			ids = append(ids, "n.point")
		}
	}
	return ids
}

func sayInt(zh bool, n int64) []string {
	if zh {
		return sayIntZh(n)
	}
	return sayIntEn(n)
}

// sayIntZh reads n in Chinese: groups of four digits with 万 and 亿,
// one 零 for any run of zeros, 十 (not 一十) at the start, 两 before 百/千.
func sayIntZh(n int64) []string {
	if n == 0 {
		return []string{"n.0"}
	}
	var groups []int64 // low to high
	for ; n > 0; n /= 10000 {
		groups = append(groups, n%10000)
	}
	units := [][]string{nil, {"n.10k"}, {"n.100m"}, {"n.10k", "n.100m"}, {"n.100m", "n.100m"}}
	var ids []string
	zero := false
	for i := len(groups) - 1; i >= 0; i-- {
		g := groups[i]
		if g == 0 {
			zero = len(ids) > 0
			continue
		}
		if zero || (len(ids) > 0 && g < 1000) {
			ids = append(ids, "n.0")
		}
		zero = false
		ids = append(ids, groupZh(g, len(ids) == 0)...)
		ids = append(ids, units[i]...)
	}
	return ids
}

func groupZh(g int64, leading bool) []string {
	var ids []string
	unit := []string{"", "n.10", "n.100", "n.1000"}
	started, zero := false, false
	for pos := 3; pos >= 0; pos-- {
		d := g / pow10(pos) % 10
		if d == 0 {
			zero = started
			continue
		}
		if zero {
			ids = append(ids, "n.0")
			zero = false
		}
		switch {
		case pos == 1 && d == 1 && !started && leading:
		case d == 2 && pos >= 2:
			ids = append(ids, "n.liang")
		default:
			ids = append(ids, "n."+strconv.FormatInt(d, 10))
		}
		if unit[pos] != "" {
			ids = append(ids, unit[pos])
		}
		started = true
	}
	return ids
}

func pow10(n int) int64 {
	p := int64(1)
	for ; n > 0; n-- {
		p *= 10
	}
	return p
}

func sayIntEn(n int64) []string {
	if n < 20 {
		return []string{"n." + strconv.FormatInt(n, 10)}
	}
	var ids []string
	for _, s := range []struct {
		v  int64
		id string
	}{{1e9, "n.1b"}, {1e6, "n.1m"}, {1e3, "n.1000"}} {
		if n >= s.v {
			ids = append(ids, sayIntEn(n/s.v)...)
			ids = append(ids, s.id)
			n %= s.v
		}
	}
	if n >= 100 {
		ids = append(ids, "n."+strconv.FormatInt(n/100, 10), "n.100")
		n %= 100
	}
	if n >= 20 {
		ids = append(ids, "n."+strconv.FormatInt(n/10*10, 10))
		n %= 10
		if n > 0 {
			ids = append(ids, "n."+strconv.FormatInt(n, 10))
		}
	} else if n > 0 {
		ids = append(ids, "n."+strconv.FormatInt(n, 10))
	}
	return ids
}

func sayYearEn(y int) []string {
	if y < 1000 || (y >= 2000 && y < 2010) || y%100 == 0 {
		return sayIntEn(int64(y))
	}
	ids := sayIntEn(int64(y / 100))
	if y%100 < 10 {
		ids = append(ids, "n.oh")
	}
	return append(ids, sayIntEn(int64(y%100))...)
}

func sayMoney(zh bool, m Money) []string {
	var ids []string
	if m < 0 {
		ids = append(ids, "n.minus")
		m = -m
	}
	yuan, jiao, fen := int64(m)/100, int64(m)/10%10, int64(m)%10
	if !zh {
		ids = append(ids, sayIntEn(yuan)...)
		ids = append(ids, "m.yuan")
		if c := int64(m) % 100; c > 0 {
			ids = append(ids, sayIntEn(c)...)
			ids = append(ids, "m.fen")
		}
		return ids
	}
	if yuan > 0 || (jiao == 0 && fen == 0) {
		ids = append(ids, sayIntZh(yuan)...)
		ids = append(ids, "m.yuan")
	}
	switch {
	case jiao == 0 && fen == 0:
		return append(ids, "m.zheng")
	case jiao == 0:
		if yuan > 0 {
			ids = append(ids, "n.0")
		}
	default:
		ids = append(ids, "n."+strconv.FormatInt(jiao, 10), "m.jiao")
	}
	if fen > 0 {
		ids = append(ids, "n."+strconv.FormatInt(fen, 10), "m.fen")
	}
	return ids
}
