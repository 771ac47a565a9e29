package dsn

import (
	"strings"
	"testing"
)

func TestRedactAndScrub(t *testing.T) {
	forms := []string{
		"postgres://hotline:S3cr%40t!pw@db.example:5432/hotline",
		"postgresql://hotline:S3cr@t!pw@db.example/hotline?sslmode=require",
		"postgres://hotline@db.example/hotline?sslmode=require&password=S3cr%40t!pw",
		"postgres://db.example/hotline?password=S3cr%40t!pw&user=hotline",
		"host=db.example user=hotline password=S3cr%40t!pw dbname=hotline",
		"host=db.example user=hotline password='S3cr%40t!pw x' dbname=hotline",
		"host=db.example password = S3cr%40t!pw",
		"sslpassword=S3cr%40t!pw host=db",
	}
	for _, f := range forms {
		got := Redact(f)
		if strings.Contains(got, "S3cr") || !strings.Contains(got, mask) {
			t.Errorf("Redact(%q) = %q", f, got)
		}
		if !strings.Contains(got, "db") {
			t.Errorf("Redact(%q) = %q: lost the rest", f, got)
		}
		if strings.Contains(f, "'") {
			continue // a quoted keyword value is not URL-encoded
		}
		// A driver quoting the password on its own, decoded.
		msg := `failed to connect: password authentication failed (password "S3cr@t!pw")` + " in " + f
		if got := Scrub(msg, f); strings.Contains(got, "S3cr") {
			t.Errorf("Scrub(%q) = %q", f, got)
		}
	}
	if got := Redact("postgres://db.example/hotline?sslmode=disable"); got != "postgres://db.example/hotline?sslmode=disable" {
		t.Errorf("no password: %q", got)
	}
}

func FuzzRedact(f *testing.F) {
	f.Add("postgres://u:secretpw@h/db", "secretpw")
	f.Add("host=h password=secretpw", "secretpw")
	f.Add("postgres://h/db?password=secretpw", "secretpw")
	f.Fuzz(func(t *testing.T, s, pw string) {
		_ = Redact(s)
		_ = Scrub(s, s)
		if len(pw) < 6 || strings.ContainsAny(pw, " '@&;:/?#%\\\t\n\r\v\f") {
			return
		}
		for _, dsn := range []string{"postgres://u:" + pw + "@h/db", "host=h password=" + pw, "postgres://h/db?password=" + pw} {
			if got := Scrub("error in "+dsn+": bad", dsn); strings.Contains(got, pw) {
				t.Fatalf("Scrub leaks %q: %q", pw, got)
			}
		}
	})
}
