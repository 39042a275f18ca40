-- The application's own fields of a user (User.Fields), a row each, so
-- concurrent changes of different fields never undo each other. Changes
-- are logged for the user cache, as for roles.
CREATE TABLE gatehouse_user_fields (
    user_id INTEGER NOT NULL REFERENCES gatehouse_users (id) ON DELETE CASCADE,
    name    TEXT    NOT NULL,
    value   TEXT    NOT NULL,
    PRIMARY KEY (user_id, name)
) WITHOUT ROWID;
CREATE TRIGGER gatehouse_user_fields_added AFTER INSERT ON gatehouse_user_fields BEGIN INSERT INTO gatehouse_user_changes (user_id) VALUES (NEW.user_id); END;
CREATE TRIGGER gatehouse_user_fields_changed AFTER UPDATE ON gatehouse_user_fields BEGIN INSERT INTO gatehouse_user_changes (user_id) VALUES (OLD.user_id); INSERT INTO gatehouse_user_changes (user_id) SELECT NEW.user_id WHERE NEW.user_id <> OLD.user_id; END;
CREATE TRIGGER gatehouse_user_fields_removed AFTER DELETE ON gatehouse_user_fields BEGIN INSERT INTO gatehouse_user_changes (user_id) VALUES (OLD.user_id); END;
