package mask

import "testing"

func TestMasks(t *testing.T) {
	for _, tc := range []struct{ in, phone, id string }{
		{"13900000001", "139****0001", "1390***0001"},
		{"075512345678", "075*****5678", "0755****5678"},
		{"12345", "*****", "*****"},
		{"", "", ""},
		{"11010519491231002X", "110***********002X", "1101**********002X"},
	} {
		if got := Phone(tc.in); got != tc.phone {
			t.Errorf("Phone(%q): got %q, want %q", tc.in, got, tc.phone)
		}
		if got := ID(tc.in); got != tc.id {
			t.Errorf("ID(%q): got %q, want %q", tc.in, got, tc.id)
		}
	}
}

func TestIDsInText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"身份证11010519491231002X宽带故障", "身份证1101**********002X宽带故障"},
		{"ids 110105194912310021,110105194912310039", "ids 1101**********0021,1101**********0039"},
		{"110105194912310021", "1101**********0021"},
		{"ticket 20261129000042 and phone 13900000001", "ticket 20261129000042 and phone 13900000001"},
		{"a run of 1101051949123100211 digits", "a run of 1101051949123100211 digits"},
		{"short", "short"},
	} {
		if got := IDsInText(tc.in); got != tc.want {
			t.Errorf("IDsInText(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzIDsInText(f *testing.F) {
	f.Add("身份证11010519491231002X")
	f.Add("110105194912310021 110105194912310021")
	f.Fuzz(func(t *testing.T, s string) {
		out := IDsInText(s)
		if len(out) != len(s) {
			t.Fatalf("length changed: %q -> %q", s, out)
		}
		if m := idInText.FindStringSubmatch(out); m != nil {
			t.Fatalf("an ID number left in %q", out)
		}
	})
}
