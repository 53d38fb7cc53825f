package download_test

import (
	"strings"
	"testing"
	"time"

	"github.com/grabhq/grab/download"
)

// TestNameFromDisposition checks the Content-Disposition values browsers
// and curl -J read, strict or not.
func TestNameFromDisposition(t *testing.T) {
	tests := []struct{ value, want string }{
		{`attachment; filename="report.pdf"`, "report.pdf"},
		{`attachment; filename*=UTF-8''%E2%82%AC%20rates.pdf`, "€ rates.pdf"},
		{`attachment; filename*=iso-8859-1''na%E9ve.txt`, "na\u00e9ve.txt"},
		{`attachment; filename*=ISO-8859-1'en'na%E9ve.txt; filename="naive.txt"`, "na\u00e9ve.txt"},
		{`attachment; filename="fallback.txt"; filename*=UTF-8''%E2%82%AC.txt`, "€.txt"},
		{`attachment; filename*=koi8-r''%C1.txt; filename="plain.txt"`, "plain.txt"},
		{`attachment; filename*=UTF-8''bad%ZZ.txt; filename="plain.txt"`, "plain.txt"},
		{`attachment; filename*=UTF-8''%2E%2E; filename="ok.txt"`, "ok.txt"},
		{`attachment; filename*=UTF-8''; filename="ok.txt"`, "ok.txt"},
		{`attachment; filename*=UTF-8''%2E%2E; filename=ok file.txt`, "ok file.txt"},
		{`attachment; filename=my file.txt`, "my file.txt"},
		{`attachment; filename=my file.txt; size=3`, "my file.txt"},
		{`inline; filename=résumé.pdf`, "résumé.pdf"},
		// Raw bytes that are not UTF-8 are ISO-8859-1, as HTTP and
		// CPython read a field; they were dropped ("caf.txt").
		{"attachment; filename=\"caf\xe9.txt\"", "café.txt"},
		{"attachment; filename=caf\xe9 au lait.txt", "café au lait.txt"},
		{"attachment; filename*=UTF-8''bad%ZZ; filename=\"na\xefve.txt\"", "naïve.txt"},
		{`attachment; filename="a;b.txt"`, "a;b.txt"},
		{`attachment; filename="quo\"te.txt"`, `quo"te.txt`},
		{`attachment; size=1 2; filename="x.bin"`, "x.bin"},
		{`filename=bare.txt`, "bare.txt"},
		{`attachment; filename*0="re"; filename*1="port.pdf"`, "report.pdf"},
		{`attachment;filename=a.txt;`, "a.txt"},
		{`attachment; FILENAME="upper.txt"`, "upper.txt"},
		{`attachment; filename="x"; filename="y"`, ""},
		{`attachment; filename=x; FileName=y`, ""},
		{`attachment; filename*=UTF-8''x; filename*=UTF-8''y`, ""},
		{`attachment; filename="../../etc/passwd"`, "passwd"},
		{`attachment`, ""},
		{`attachment; filename=""`, ""},
		{``, ""},
	}
	for _, tt := range tests {
		if got := download.NameFromDisposition(tt.value, false); got != tt.want {
			t.Errorf("NameFromDisposition(%q) = %q, want %q", tt.value, got, tt.want)
		}
	}
}

// TestNameFromDispositionLarge: a value of 1 MiB (a head's cap) of many
// shapes is read in linear time: 128 KiB of ';' took 15 s, one scan of
// the rest for each parameter.
func TestNameFromDispositionLarge(t *testing.T) {
	const mib = 1 << 20
	shapes := map[string]string{
		"semicolons":  "attachment; filename=" + strings.Repeat(";", mib),
		"no equals":   "attachment" + strings.Repeat("; a", mib/3) + "; filename=x.txt",
		"empty names": "attachment" + strings.Repeat(";=", mib/2),
		"params":      "attachment" + strings.Repeat("; a=b", mib/5),
		"quotes":      "attachment" + strings.Repeat(`; a="b"`, mib/7),
		"open quote":  `attachment; filename="` + strings.Repeat("a;", mib/2),
		"star":        "attachment; filename*=UTF-8''" + strings.Repeat("%41", mib/3),
	}
	for name, v := range shapes {
		start := time.Now()
		download.NameFromDisposition(v, false)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: %v for 1 MiB", name, d)
		}
	}
}
