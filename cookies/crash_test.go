package cookies_test

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/grabhq/grab/cookies"
)

var kills = flag.Int("kills", 40, "how many times TestSaveKilled kills a saving process (HOSTILE.md D10 asks for 300)")

// saverEnv names the jar path and mode of a helper process.
const saverEnv = "GRAB_COOKIES_TEST_SAVER"

// variantJar builds one of two jars of session cookies, so its saved
// bytes are the same in every process.
func variantJar(t testing.TB, v string) *cookies.Jar {
	j := new(cookies.Jar)
	n := map[string]int{"A": 300, "B": 340}[v]
	for i := range n {
		setCookie(t, j, fmt.Sprintf("http://%s%d.test/", strings.ToLower(v), i%7), fmt.Sprintf("%s%d=%s", v, i, strings.Repeat(v, 200)))
	}
	return j
}

func variantBytes(t testing.TB, v string) []byte {
	var b bytes.Buffer
	if err := variantJar(t, v).SaveTo(&b, &cookies.SaveOptions{Session: true}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestHelperSaver is not a test: run by the tests below as a separate
// process, it saves a jar to a path in a loop until killed (or for 20s).
// Mode A or B saves that jar; AB alternates.
func TestHelperSaver(t *testing.T) {
	spec := os.Getenv(saverEnv)
	if spec == "" {
		t.Skip("helper process for TestSaveKilled and TestTwoProcesses")
	}
	mode, path, _ := strings.Cut(spec, ":")
	jars := []*cookies.Jar{}
	for _, v := range mode {
		jars = append(jars, variantJar(t, string(v)))
	}
	os.WriteFile(path+".ready", nil, 0o600)
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		if err := jars[i%len(jars)].Save(path, &cookies.SaveOptions{Session: true}); err != nil {
			t.Fatal(err)
		}
	}
}

func startSaver(t *testing.T, mode, path string) *exec.Cmd {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestHelperSaver$", "-test.count=1")
	cmd.Env = append(os.Environ(), saverEnv+"="+mode+":"+path)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// waitReady waits until a saver has built its jars and is saving.
func waitReady(t *testing.T, path string) {
	t.Helper()
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(time.Millisecond) {
		if _, err := os.Stat(path + ".ready"); err == nil {
			os.Remove(path + ".ready")
			return
		}
	}
	t.Fatal("saver process never got ready")
}

// checkWhole fails unless the file at path is exactly one of the wants
// and loads without error.
func checkWhole(t *testing.T, path string, wants ...[]byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range wants {
		if bytes.Equal(b, w) {
			if err := new(cookies.Jar).Load(path); err != nil {
				t.Fatalf("Load: %v", err)
			}
			return
		}
	}
	t.Fatalf("jar file is none of the saved jars: %d bytes", len(b))
}

// TestSaveKilled is HOSTILE.md D10's fault: a process saving a jar is
// killed with SIGKILL at random moments; the file is always a whole jar,
// the old one or the new one. Run with -kills=300 for the full row.
func TestSaveKilled(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("needs processes and SIGKILL")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "jar.txt")
	a, b := variantBytes(t, "A"), variantBytes(t, "B")
	if err := os.WriteFile(path, a, 0o600); err != nil {
		t.Fatal(err)
	}
	for range *kills {
		cmd := startSaver(t, "AB", path)
		waitReady(t, path)
		time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
		cmd.Process.Kill()
		cmd.Wait()
		checkWhole(t, path, a, b)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after the kills: %v, %v", fi.Mode(), err)
	}
	// Temporary files left behind show kills that landed mid-save.
	tmps, _ := filepath.Glob(filepath.Join(dir, ".jar.txt.tmp-*"))
	t.Logf("%d kills, %d of them during a save (temporary files left)", *kills, len(tmps))
}

// TestTwoProcesses is HOSTILE.md D11: two processes save different jars
// to one path at once. The documented rule is "last writer wins, whole":
// every read sees one jar entirely, never a mix or a truncation.
func TestTwoProcesses(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("needs processes")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "jar.txt")
	a, b := variantBytes(t, "A"), variantBytes(t, "B")
	if err := os.WriteFile(path, a, 0o600); err != nil {
		t.Fatal(err)
	}
	pa := startSaver(t, "A", path)
	waitReady(t, path)
	pb := startSaver(t, "B", path)
	waitReady(t, path)
	seen := map[bool]int{}
	for start := time.Now(); time.Since(start) < 300*time.Millisecond; {
		checkWhole(t, path, a, b)
		got, _ := os.ReadFile(path)
		seen[bytes.Equal(got, a)]++
	}
	pa.Process.Kill()
	pb.Process.Kill()
	pa.Wait()
	pb.Wait()
	checkWhole(t, path, a, b)
	t.Logf("reads: %d of jar A, %d of jar B", seen[true], seen[false])
}
