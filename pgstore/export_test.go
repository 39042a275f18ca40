package pgstore

// CacheHits counts the lookups the user cache answered; Listening reports
// whether it may answer. For tests.
func (s *Store) CacheHits() uint64 {
	if c := s.cache.Load(); c != nil {
		return c.users.Hits()
	}
	return 0
}

func (s *Store) Listening() bool {
	c := s.cache.Load()
	return c != nil && c.live.Load()
}
