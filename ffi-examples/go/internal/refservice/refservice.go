// Package refservice starts the loopback reference services of the
// repository's tests (tests/reference/*.py) for the Go reference-client
// tests.
package refservice

import (
	"bufio"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Start runs tests/reference/<script> with python3 until the test ends and
// returns its base URL.
func Start(t *testing.T, script string) string {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(here), "..", "..", "..", "..", "tests", "reference", script)
	cmd := exec.Command("python3", path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("python3 runs the reference services: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	port, ok := strings.CutPrefix(strings.TrimSpace(line), "PORT ")
	if err != nil || !ok {
		t.Fatalf("%s did not say its port: %q %v", script, line, err)
	}
	return "http://127.0.0.1:" + port
}
