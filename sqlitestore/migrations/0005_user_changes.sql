-- Which users changed, in commit order. The user cache reads the rows
-- after each commit to forget just those users. Triggers fill it, so a
-- change made with plain SQL counts too; each row pushes out the one
-- 10,000 rows older, so it stays small without a sweeper.
CREATE TABLE gatehouse_user_changes (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL
);
CREATE TRIGGER gatehouse_user_changes_prune AFTER INSERT ON gatehouse_user_changes BEGIN DELETE FROM gatehouse_user_changes WHERE seq = NEW.seq - 10000; END;
CREATE TRIGGER gatehouse_users_changed AFTER UPDATE ON gatehouse_users BEGIN INSERT INTO gatehouse_user_changes (user_id) VALUES (OLD.id); INSERT INTO gatehouse_user_changes (user_id) SELECT NEW.id WHERE NEW.id <> OLD.id; END;
CREATE TRIGGER gatehouse_users_deleted AFTER DELETE ON gatehouse_users BEGIN INSERT INTO gatehouse_user_changes (user_id) VALUES (OLD.id); END;
-- An insert counts too: REPLACE INTO deletes the old row without firing
-- the delete trigger (unless recursive_triggers is on) and inserts anew.
CREATE TRIGGER gatehouse_users_inserted AFTER INSERT ON gatehouse_users BEGIN INSERT INTO gatehouse_user_changes (user_id) VALUES (NEW.id); END;
CREATE TRIGGER gatehouse_user_roles_added AFTER INSERT ON gatehouse_user_roles BEGIN INSERT INTO gatehouse_user_changes (user_id) VALUES (NEW.user_id); END;
CREATE TRIGGER gatehouse_user_roles_changed AFTER UPDATE ON gatehouse_user_roles BEGIN INSERT INTO gatehouse_user_changes (user_id) VALUES (OLD.user_id); INSERT INTO gatehouse_user_changes (user_id) SELECT NEW.user_id WHERE NEW.user_id <> OLD.user_id; END;
CREATE TRIGGER gatehouse_user_roles_removed AFTER DELETE ON gatehouse_user_roles BEGIN INSERT INTO gatehouse_user_changes (user_id) VALUES (OLD.user_id); END;
CREATE TRIGGER gatehouse_revoked_sessions_added AFTER INSERT ON gatehouse_revoked_sessions BEGIN INSERT INTO gatehouse_user_changes (user_id) VALUES (NEW.user_id); END;
CREATE TRIGGER gatehouse_revoked_sessions_changed AFTER UPDATE ON gatehouse_revoked_sessions BEGIN INSERT INTO gatehouse_user_changes (user_id) VALUES (OLD.user_id); INSERT INTO gatehouse_user_changes (user_id) SELECT NEW.user_id WHERE NEW.user_id <> OLD.user_id; END;
CREATE TRIGGER gatehouse_revoked_sessions_removed AFTER DELETE ON gatehouse_revoked_sessions BEGIN INSERT INTO gatehouse_user_changes (user_id) VALUES (OLD.user_id); END;
