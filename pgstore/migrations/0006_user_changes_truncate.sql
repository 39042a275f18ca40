-- TRUNCATE fires no row trigger: a statement trigger tells every cache
-- to forget every user ("schema *").
CREATE FUNCTION gatehouse_users_truncated() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('gatehouse_users', TG_TABLE_SCHEMA || ' *'); RETURN NULL; END $$;
CREATE TRIGGER gatehouse_users_truncated AFTER TRUNCATE ON gatehouse_users FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_users_truncated();
CREATE TRIGGER gatehouse_user_roles_truncated AFTER TRUNCATE ON gatehouse_user_roles FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_users_truncated();
CREATE TRIGGER gatehouse_revoked_sessions_truncated AFTER TRUNCATE ON gatehouse_revoked_sessions FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_users_truncated();
