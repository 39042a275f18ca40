package password

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// HIBP checks passwords against Have I Been Pwned's Pwned Passwords with its
// k-anonymity range API: only the first 5 hex characters of the password's
// SHA-1 leave the process, and the answer is padded so its size says nothing
// either. https://haveibeenpwned.com/API/v3#PwnedPasswords
type HIBP struct {
	// Client makes the requests. Default: a client with a 5-second timeout.
	Client *http.Client
	// BaseURL is the API root. Default: "https://api.pwnedpasswords.com".
	BaseURL string
	// MinCount is how many sightings make a password breached. Default: 1.
	MinCount int
	// UserAgent identifies the application to the API. Default: "gatehouse".
	UserAgent string
}

// Breached implements [BreachChecker].
func (h HIBP) Breached(ctx context.Context, password string) (bool, error) {
	sum := sha1.Sum([]byte(password))
	hexSum := strings.ToUpper(hex.EncodeToString(sum[:]))
	prefix, suffix := hexSum[:5], hexSum[5:]
	base := h.BaseURL
	if base == "" {
		base = "https://api.pwnedpasswords.com"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(base, "/")+"/range/"+prefix, nil)
	if err != nil {
		return false, fmt.Errorf("password: hibp: %w", err)
	}
	req.Header.Set("Add-Padding", "true")
	ua := h.UserAgent
	if ua == "" {
		ua = "gatehouse"
	}
	req.Header.Set("User-Agent", ua)
	client := h.Client
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, fmt.Errorf("password: hibp: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("password: hibp: status %d", resp.StatusCode)
	}
	minCount := max(h.MinCount, 1)
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 4<<20))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		s, c, ok := strings.Cut(line, ":")
		if !ok || !strings.EqualFold(s, suffix) {
			continue
		}
		n, err := strconv.Atoi(c)
		if err != nil {
			return false, fmt.Errorf("password: hibp: bad count %q", c)
		}
		// Padding entries have a count of 0.
		return n >= minCount, nil
	}
	if err := sc.Err(); err != nil {
		return false, fmt.Errorf("password: hibp: %w", err)
	}
	return false, nil
}
