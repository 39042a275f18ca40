//go:build !unix

package sqlitestore

import "os"

// Without mmap (not a unix system), the header is read with pread.

func mapHeader(*os.File) []byte { return nil }

func (w *walIndex) copyHeaders(b *[2 * walHeaderSize]byte) bool { return w.pread(b) }
