-- The application's own fields of a user (User.Fields), a row each, so
-- concurrent changes of different fields never undo each other. Changes
-- notify the user caches, as for roles.
CREATE TABLE gatehouse_user_fields (
    user_id BIGINT NOT NULL REFERENCES gatehouse_users (id) ON DELETE CASCADE,
    name    TEXT   NOT NULL,
    value   TEXT   NOT NULL,
    PRIMARY KEY (user_id, name)
);
CREATE TRIGGER gatehouse_user_fields_changed AFTER INSERT OR UPDATE OR DELETE ON gatehouse_user_fields FOR EACH ROW EXECUTE FUNCTION gatehouse_user_changed();
CREATE TRIGGER gatehouse_user_fields_truncated AFTER TRUNCATE ON gatehouse_user_fields FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_users_truncated();
