package ivr

import (
	"strconv"
	"testing"
)

func sayText(t *testing.T, lang string, kind SayKind, v string) string {
	t.Helper()
	cat, err := DefaultCatalog()
	if err != nil {
		t.Fatal(err)
	}
	return Utterance{Lang: lang, Items: []Item{{Say: kind, Value: v}}, Prompts: cat}.Spoken()
}

func TestSay(t *testing.T) {
	for _, tc := range []struct {
		lang string
		kind SayKind
		in   string
		want string
	}{
		{"zh", SayNumber, "0", "零"},
		{"zh", SayNumber, "10", "十"},
		{"zh", SayNumber, "15", "十五"},
		{"zh", SayNumber, "110", "一百一十"},
		{"zh", SayNumber, "205", "两百零五"},
		{"zh", SayNumber, "1203", "一千两百零三"},
		{"zh", SayNumber, "10001", "一万零一"},
		{"zh", SayNumber, "101000", "十万一千"},
		{"zh", SayNumber, "1000000", "一百万"},
		{"zh", SayNumber, "100000001", "一亿零一"},
		{"zh", SayNumber, "12005", "一万两千零五"},
		{"zh", SayNumber, "-3.14", "负三点一四"},
		{"zh", SayMoney, "123.45", "一百二十三元四角五分"},
		{"zh", SayMoney, "88.00", "八十八元整"},
		{"zh", SayMoney, "10.05", "十元零五分"},
		{"zh", SayMoney, "0.50", "五角"},
		{"zh", SayMoney, "0.00", "零元整"},
		{"zh", SayMoney, "-12.30", "负十二元三角"},
		{"zh", SayDigits, "10000#", "一零零零零井"},
		{"zh", SayDate, "2026-12-15", "二零二六年十二月十五日"},
		{"zh", SayTime, "09:05", "九点五分"},
		{"zh", SayTime, "20:00", "二十点整"},
		{"en", SayNumber, "0", "zero"},
		{"en", SayNumber, "21", "twenty one"},
		{"en", SayNumber, "12005", "twelve thousand five"},
		{"en", SayNumber, "1234567", "one million two hundred thirty four thousand five hundred sixty seven"},
		{"en", SayMoney, "123.45", "one hundred twenty three yuan forty five fen"},
		{"en", SayMoney, "88.00", "eighty eight yuan"},
		{"en", SayDigits, "T15", "T one five"},
		{"en", SayDate, "2026-12-01", "December first twenty twenty six"},
		{"en", SayDate, "2005-03-31", "March thirty first two thousand five"},
		{"en", SayTime, "09:05", "nine oh five"},
		{"en", SayTime, "14:00", "fourteen o'clock"},
		{"zh", SayMoney, "12.345", "一二点三四五"}, // not money: read as digits
	} {
		if got := sayText(t, tc.lang, tc.kind, tc.in); got != tc.want {
			t.Errorf("%s %s(%s): got %q, want %q", tc.lang, tc.kind, tc.in, got, tc.want)
		}
	}
}

// TestSayPromptsExist: every prompt a say piece can produce has text and
// audio in its language.
func TestSayPromptsExist(t *testing.T) {
	cat, err := DefaultCatalog()
	if err != nil {
		t.Fatal(err)
	}
	var values []struct {
		k SayKind
		v string
	}
	for n := int64(0); n < 100_000_000_000; n = n*7 + 3 {
		values = append(values, struct {
			k SayKind
			v string
		}{SayNumber, strconv.FormatInt(n, 10)}, struct {
			k SayKind
			v string
		}{SayMoney, Money(n).String()})
	}
	for i := 0; i < 400; i++ {
		values = append(values, struct {
			k SayKind
			v string
		}{SayNumber, strconv.Itoa(i)})
	}
	for _, d := range []string{"2026-01-01", "2026-02-28", "2031-12-31", "1999-07-20", "2100-10-10"} {
		values = append(values, struct {
			k SayKind
			v string
		}{SayDate, d})
	}
	for h := 0; h < 24; h++ {
		for _, m := range []string{"00", "05", "30", "59"} {
			values = append(values, struct {
				k SayKind
				v string
			}{SayTime, strconv.Itoa(h/10) + strconv.Itoa(h%10) + ":" + m})
		}
	}
	values = append(values, struct {
		k SayKind
		v string
	}{SayDigits, "0123456789*#abcdefghijklmnopqrstuvwxyz"})
	for _, lang := range cat.Languages() {
		for _, v := range values {
			for _, id := range Say(lang, v.k, v.v) {
				if _, ok := cat.Text(lang, id); !ok {
					t.Fatalf("%s %s(%s): prompt %q has no text", lang, v.k, v.v, id)
				}
				if !cat.HasAudio(lang, id) {
					t.Fatalf("%s %s(%s): prompt %q has no audio", lang, v.k, v.v, id)
				}
			}
		}
	}
}

func TestMoney(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Money
		bad  bool
	}{
		{"123.45", 12345, false}, {"-0.5", -50, false}, {"7", 700, false},
		{"1.234", 0, true}, {"abc", 0, true}, {"", 0, true}, {"--1", 0, true}, {"1.-5", 0, true},
	} {
		got, err := ParseMoney(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("ParseMoney(%q): got %v, %v; want %v, bad=%v", tc.in, got, err, tc.want, tc.bad)
		}
		if !tc.bad {
			back, _ := ParseMoney(got.String())
			if back != got {
				t.Errorf("round trip %q: got %v", tc.in, back)
			}
		}
	}
}
