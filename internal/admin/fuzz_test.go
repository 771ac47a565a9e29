package admin

import "testing"

// The customer CSV is a user file: parsing never panics, and a file it
// accepts has rows that pass the API's own checks.
func FuzzParseCustomersCSV(f *testing.F) {
	f.Add([]byte("\ufeffphone,account,name,tier,blacklisted,do_not_call\r\n13300000001,,李雷,gold,,\r\n"))
	f.Add([]byte("phone,account,name,tier,blacklisted,do_not_call\n,ACC-1,\"a, \"\"b\"\"\",diamond,true,false\n"))
	f.Add([]byte("phone,account\n1,2,3\n"))
	f.Add([]byte("phone,account,name,tier,blacklisted,do_not_call\n\"unterminated\n"))
	f.Add([]byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, problems := ParseCustomersCSV(data)
		if rows != nil && problems != nil {
			t.Fatal("rows and problems both")
		}
		if len(problems) > maxLineErrors {
			t.Fatalf("%d problems", len(problems))
		}
		for _, in := range rows {
			if fe := checkCustomer(in, true); fe != nil {
				t.Fatalf("accepted a row that fails: %v", fe)
			}
		}
	})
}
