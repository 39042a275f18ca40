-- Every change to a user, its roles or its revoked sessions notifies the
-- channel gatehouse_users with "schema user_id" once the transaction
-- commits, so every instance's user cache (Store.WatchUsers) forgets
-- that user. Triggers, so a change made with plain SQL counts too.
CREATE FUNCTION gatehouse_user_changed() RETURNS trigger LANGUAGE plpgsql AS $$ DECLARE before text; after text; BEGIN IF TG_TABLE_NAME = 'gatehouse_users' THEN IF TG_OP <> 'INSERT' THEN before := OLD.id::text; END IF; IF TG_OP <> 'DELETE' THEN after := NEW.id::text; END IF; ELSE IF TG_OP <> 'INSERT' THEN before := OLD.user_id::text; END IF; IF TG_OP <> 'DELETE' THEN after := NEW.user_id::text; END IF; END IF; IF before IS NOT NULL THEN PERFORM pg_notify('gatehouse_users', TG_TABLE_SCHEMA || ' ' || before); END IF; IF after IS NOT NULL AND after IS DISTINCT FROM before THEN PERFORM pg_notify('gatehouse_users', TG_TABLE_SCHEMA || ' ' || after); END IF; RETURN NULL; END $$;
CREATE TRIGGER gatehouse_users_changed AFTER UPDATE OR DELETE ON gatehouse_users FOR EACH ROW EXECUTE FUNCTION gatehouse_user_changed();
CREATE TRIGGER gatehouse_user_roles_changed AFTER INSERT OR UPDATE OR DELETE ON gatehouse_user_roles FOR EACH ROW EXECUTE FUNCTION gatehouse_user_changed();
CREATE TRIGGER gatehouse_revoked_sessions_changed AFTER INSERT OR UPDATE OR DELETE ON gatehouse_revoked_sessions FOR EACH ROW EXECUTE FUNCTION gatehouse_user_changed();
