package ivr

import (
	"os"
	"testing"
	"time"
)

// The built-in center closes at night; AlwaysOpen opens every calendar of a
// copy and leaves the loaded library as it was.
func TestLibraryAlwaysOpen(t *testing.T) {
	lib, err := LoadDir(os.DirFS("flows"), ".")
	if err != nil {
		t.Fatal(err)
	}
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	sunday3am := time.Date(2026, 11, 29, 3, 0, 0, 0, shanghai)
	if lib.calendars["center"].IsOpen(sunday3am) {
		t.Fatalf("built-in center open at %v", sunday3am)
	}
	open := lib.AlwaysOpen()
	if len(open.calendars) != len(lib.calendars) {
		t.Fatalf("got %d calendars, want %d", len(open.calendars), len(lib.calendars))
	}
	for name, c := range open.calendars {
		if !c.IsOpen(sunday3am) {
			t.Errorf("calendar %q closed after AlwaysOpen", name)
		}
	}
	if lib.calendars["center"].IsOpen(sunday3am) {
		t.Fatal("AlwaysOpen changed the library it was called on")
	}
}
