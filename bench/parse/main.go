// Command parse extracts the images of one HTML file and prints how long
// it took, for bench/parse.sh. Each implementation streams the file from
// disk (page cache) and ends with the sorted, unique list of URLs, the
// textbook's output, which it hashes instead of printing:
//
//	-impl grab     parse.Images with the default kinds (img, srcset,
//	               source, lazy, meta), resolved against -page-url
//	-impl tok      a bare golang.org/x/net/html tokenizer loop collecting
//	               <img src> as written (the bench kit's extract-tok)
//	-impl next     the tokenizer's Next alone, extracting nothing: the ceiling
//	-impl goquery  goquery's Find("img") over the parsed tree, src as written
//
// It prints "impl bytes seconds cpu count sha256": seconds is the wall
// time in-process, from opening the file to the sorted list, and cpu the
// CPU time the process spent over the same span (every thread, the garbage
// collector's included), the fairer figure on a loaded machine. -gen FILE
// writes the workload page (testserver.BigPage) and -expected its expected
// grab output.
package main

import (
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"

	"github.com/grabhq/grab/parse"
	"github.com/grabhq/grab/testserver"
)

func main() {
	impl := flag.String("impl", "grab", "grab, tok, next or goquery")
	pageURL := flag.String("page-url", "http://127.0.0.1:8080/bigpage/20000.html", "the page's URL (grab resolves against it)")
	gen := flag.String("gen", "", "write the workload page to `FILE` and exit")
	n := flag.Int("images", 20000, "images in the generated page")
	size := flag.Int("bytes", 5000000, "size of the generated page")
	expected := flag.Bool("expected", false, "print the count and hash grab must produce for the generated page")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to `file`")
	flag.Parse()
	origin := strings.TrimSuffix(*pageURL, "/bigpage/"+fmt.Sprint(*n)+".html")
	switch {
	case *gen != "":
		if err := os.WriteFile(*gen, testserver.BigPage(origin, *n, *size), 0o644); err != nil {
			fail(err)
		}
		return
	case *expected:
		want := testserver.BigPageExpected(origin, *n)
		fmt.Printf("%d %s\n", len(want), hash(want))
		return
	}
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: parse [-impl NAME] [-page-url URL] FILE | -gen FILE | -expected")
		os.Exit(2)
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fail(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	start, cpu0 := time.Now(), cpuTime()
	f, err := os.Open(flag.Arg(0))
	if err != nil {
		fail(err)
	}
	defer f.Close()
	var urls []string
	switch *impl {
	case "grab":
		urls, err = grab(f, *pageURL)
	case "tok":
		urls, err = tokenizer(f)
	case "next":
		urls, err = next(f)
	case "goquery":
		urls, err = gq(f)
	default:
		err = fmt.Errorf("unknown -impl %q", *impl)
	}
	if err != nil {
		fail(err)
	}
	el, cpu := time.Since(start), cpuTime()-cpu0
	st, err := f.Stat()
	if err != nil {
		fail(err)
	}
	fmt.Printf("%s %d %.6f %.6f %d %s\n", *impl, st.Size(), el.Seconds(), cpu.Seconds(), len(urls), hash(urls))
}

// cpuTime returns the CPU time the process has used, user and system (as
// internal/testkit.CPUTime, which this binary does not link: it would
// bring the test kit's dependencies into the process it measures).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "parse:", err)
	os.Exit(1)
}

// hash is the sha256 of the URLs, one per line, first 16 hex digits.
func hash(urls []string) string {
	h := sha256.New()
	for _, u := range urls {
		io.WriteString(h, u+"\n")
	}
	return fmt.Sprintf("%x", h.Sum(nil))[:16]
}

// sorted returns the sorted unique strings of set.
func sorted(set map[string]struct{}) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func grab(r io.Reader, pageURL string) ([]string, error) {
	body, cs, err := parse.Decode(r, "text/html; charset=utf-8")
	if err != nil {
		return nil, err
	}
	imgs, err := parse.Images(body, pageURL, parse.Options{Charset: cs})
	if err != nil {
		return nil, err
	}
	urls := make([]string, len(imgs))
	for i, im := range imgs {
		urls[i] = im.URL
	}
	slices.Sort(urls)
	return slices.Compact(urls), nil
}

func tokenizer(r io.Reader) ([]string, error) {
	z := html.NewTokenizer(r)
	set := map[string]struct{}{}
	for {
		switch z.Next() {
		case html.ErrorToken:
			if err := z.Err(); err != io.EOF {
				return nil, err
			}
			return sorted(set), nil
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if !hasAttr || !bytes.Equal(name, []byte("img")) {
				continue
			}
			for {
				k, v, more := z.TagAttr()
				if string(k) == "src" {
					set[string(v)] = struct{}{}
				}
				if !more {
					break
				}
			}
		}
	}
}

func next(r io.Reader) ([]string, error) {
	z := html.NewTokenizer(r)
	for z.Next() != html.ErrorToken {
	}
	if err := z.Err(); err != io.EOF {
		return nil, err
	}
	return nil, nil
}

func gq(r io.Reader) ([]string, error) {
	doc, err := goquery.NewDocumentFromReader(r)
	if err != nil {
		return nil, err
	}
	set := map[string]struct{}{}
	doc.Find("img").Each(func(_ int, s *goquery.Selection) {
		if v, ok := s.Attr("src"); ok {
			set[v] = struct{}{}
		}
	})
	return sorted(set), nil
}
