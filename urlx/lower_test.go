package urlx

import (
	"bufio"
	"strconv"
	"strings"
	"testing"
)

// TestPyLowerAllCodePoints compares pyLower with CPython's str.lower on every
// code point, alone and in the contexts that decide a final sigma
// (testdata/pylower.txt.gz, written by testdata/gen_pylower.py).
func TestPyLowerAllCodePoints(t *testing.T) {
	zr := openGzip(t, "pylower.txt.gz")
	type entry struct{ lower, sigma string }
	want := map[rune]entry{}
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		cp, err := strconv.ParseUint(fs[0], 16, 32)
		if err != nil || len(fs) != 3 {
			t.Fatalf("bad line %q", line)
		}
		low := ""
		if fs[1] == "=" {
			low = string(rune(cp))
		} else {
			for _, h := range strings.Split(fs[1], "+") {
				x, _ := strconv.ParseUint(h, 16, 32)
				low += string(rune(x))
			}
		}
		want[rune(cp)] = entry{low, fs[2]}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	sig := func(s string, last bool) string {
		rs := []rune(s)
		r := rs[1]
		if last {
			r = rs[len(rs)-1]
		}
		if r == 0x3C2 {
			return "f"
		}
		return "s"
	}
	bad := 0
	for r := rune(0); r < 0x110000; r++ {
		if 0xD800 <= r && r <= 0xDFFF {
			continue
		}
		w, ok := want[r]
		if !ok {
			w = entry{string(r), "ffs"}
		}
		c := string(r)
		got := entry{pyLower(c), sig(pyLower("AΣ"+c), false) + sig(pyLower("AΣ"+c+"a"), false) + sig(pyLower(c+"Σ"), true)}
		if got != w {
			bad++
			if bad <= 20 {
				t.Errorf("U+%04X: pyLower = %q (sigma %s), CPython %q (sigma %s)", r, got.lower, got.sigma, w.lower, w.sigma)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d code points differ from CPython", bad)
	}
}
