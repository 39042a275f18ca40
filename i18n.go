package gatehouse

import (
	"net/http"
	"strings"

	"golang.org/x/text/language"
)

// Message keys are Flask-Security's (SECURITY_MSG_<KEY>), plus UI_ keys for
// the labels of the built-in pages and EMAIL_SUBJECT_ keys for mail subjects.
// Texts may hold %(name)s placeholders, filled by [Manager.Text].
const (
	MsgConfirmRegistration        = "CONFIRM_REGISTRATION"
	MsgEmailConfirmed             = "EMAIL_CONFIRMED"
	MsgAlreadyConfirmed           = "ALREADY_CONFIRMED"
	MsgInvalidConfirmationToken   = "INVALID_CONFIRMATION_TOKEN"
	MsgEmailAlreadyAssociated     = "EMAIL_ALREADY_ASSOCIATED"
	MsgRetypePasswordMismatch     = "RETYPE_PASSWORD_MISMATCH"
	MsgPasswordResetRequest       = "PASSWORD_RESET_REQUEST"
	MsgInvalidResetPasswordToken  = "INVALID_RESET_PASSWORD_TOKEN"
	MsgConfirmationRequired       = "CONFIRMATION_REQUIRED"
	MsgConfirmationRequest        = "CONFIRMATION_REQUEST"
	MsgLoginEmailSent             = "LOGIN_EMAIL_SENT"
	MsgInvalidLoginToken          = "INVALID_LOGIN_TOKEN"
	MsgDisabledAccount            = "DISABLED_ACCOUNT"
	MsgEmailNotProvided           = "EMAIL_NOT_PROVIDED"
	MsgInvalidEmailAddress        = "INVALID_EMAIL_ADDRESS"
	MsgPasswordNotProvided        = "PASSWORD_NOT_PROVIDED"
	MsgPasswordNotSet             = "PASSWORD_NOT_SET"
	MsgPasswordInvalidLength      = "PASSWORD_INVALID_LENGTH"
	MsgPasswordTooLong            = "PASSWORD_TOO_LONG"
	MsgPasswordTooSimple          = "PASSWORD_TOO_SIMPLE"
	MsgPasswordBreached           = "PASSWORD_BREACHED"
	MsgUserDoesNotExist           = "USER_DOES_NOT_EXIST"
	MsgInvalidPassword            = "INVALID_PASSWORD"
	MsgPasswordlessLoginSuccess   = "PASSWORDLESS_LOGIN_SUCCESSFUL"
	MsgPasswordReset              = "PASSWORD_RESET"
	MsgPasswordIsTheSame          = "PASSWORD_IS_THE_SAME"
	MsgPasswordChange             = "PASSWORD_CHANGE"
	MsgGenericAuthnFailed         = "GENERIC_AUTHN_FAILED"
	MsgGenericRecovery            = "GENERIC_RECOVERY"
	MsgGenericConfirmation        = "GENERIC_CONFIRMATION"
	MsgGenericLoginInstructions   = "GENERIC_LOGIN_INSTRUCTIONS"
	MsgBadRequest                 = "BAD_REQUEST"
	MsgRateLimited                = "RATE_LIMITED"
	MsgUnavailable                = "UNAVAILABLE"
	SubjectRegisterNotice         = "EMAIL_SUBJECT_REGISTER_NOTICE"
	MsgReauthSuccessful           = "REAUTHENTICATION_SUCCESSFUL"
	MsgLinkOtherDevice            = "LINK_OTHER_DEVICE"
	MsgLinkOtherUser              = "LINK_OTHER_USER"
	MsgPasswordNotSetUseReset     = "PASSWORD_NOT_SET_USE_RESET"
	MsgPasswordBasedOnAccount     = "PASSWORD_BASED_ON_ACCOUNT"
	MsgLoggedOut                  = "LOGGED_OUT"
	MsgLoginSuccessful            = "LOGIN_SUCCESSFUL"
	SubjectRegister               = "EMAIL_SUBJECT_REGISTER"
	SubjectConfirm                = "EMAIL_SUBJECT_CONFIRM"
	SubjectPasswordReset          = "EMAIL_SUBJECT_PASSWORD_RESET"
	SubjectPasswordNotice         = "EMAIL_SUBJECT_PASSWORD_NOTICE"
	SubjectPasswordChangeNotice   = "EMAIL_SUBJECT_PASSWORD_CHANGE_NOTICE"
	SubjectPasswordless           = "EMAIL_SUBJECT_PASSWORDLESS"
	uiPrefix                      = "UI_"
	defaultLanguage               = "en"
	placeholderOpen, placeholderC = "%(", ")s"
)

// catalogs holds every built-in text by language and key. It is read-only.
var catalogs = map[string]map[string]string{
	"en": {
		"UI_DAY": "%(n)s day", "UI_DAYS": "%(n)s days", "UI_HOUR": "%(n)s hour", "UI_HOURS": "%(n)s hours", "UI_MINUTE": "%(n)s minute", "UI_MINUTES": "%(n)s minutes",
		"UI_PASSWORDLESS_LEGEND": "Or log in without a password",
		"UI_HOME":                "Home", "UI_FORBIDDEN_TITLE": "Access denied", "UI_ERROR_TITLE": "Something went wrong", "UI_UNAUTHORIZED_TITLE": "Please log in",
		MsgUnauthenticated:           "You are not authenticated. Please supply the correct credentials.",
		MsgUnauthorized:              "You do not have permission to view this resource.",
		MsgReauthRequired:            "You must re-authenticate to access this endpoint",
		MsgAnonymousRequired:         "You can only access this endpoint when not logged in.",
		MsgInternalError:             "Internal error.",
		MsgUnavailable:               "The service is busy or briefly unavailable. Please try again in a moment.",
		"UI_REGISTER_NOTICE_IGNORE":  "If it was not you, you can ignore this mail: nothing has changed.",
		"UI_REGISTER_NOTICE_RESET":   "Forgot your password? Choose a new one:",
		"UI_REGISTER_NOTICE":         "Someone, perhaps you, tried to create an account with this address, which already has one. If it was you, log in:",
		"UI_CONTINUE":                "Continue",
		"UI_VERIFY_HELP":             "Enter your password to continue.",
		"UI_VERIFY":                  "Confirm it is you",
		"UI_LOGIN_LINK_ANYWAY":       "It was me: log in",
		"UI_LOGIN_LINK_SWITCH":       "Log out %(current)s and log in as %(email)s",
		"UI_LOGIN_LINK_AS":           "Log in as %(email)s.",
		"UI_CONFIRM_NEW_BUTTON":      "Confirm and use this password",
		"UI_CONFIRM_NEW_LEGEND":      "Did you not sign up here, or forget that password? Choose a new one:",
		"UI_CONFIRM_BUTTON":          "Confirm",
		"UI_CONFIRM_PLAIN":           "Confirm %(email)s as your address.",
		"UI_CONFIRM_PROVE":           "To confirm %(email)s, enter the password you chose when you signed up.",
		"UI_CONFIRM_TITLE":           "Confirm your email address",
		SubjectRegisterNotice:        "Someone tried to sign up with your address",
		MsgReauthSuccessful:          "Reauthentication successful",
		MsgLinkOtherDevice:           "This link was asked for from another browser or device. Continue only if it was you who asked for it.",
		MsgLinkOtherUser:             "You are logged in as %(current)s. This link logs you in as %(email)s instead: confirm to switch.",
		MsgPasswordNotSetUseReset:    "Your account has no password yet. To set one, use \"Forgot password\": we will mail you a link.",
		MsgPasswordBasedOnAccount:    "Your password must not be based on your email address, your username or the name of this site.",
		MsgCSRFFailed:                "The CSRF token is missing or invalid.",
		MsgLoginRequired:             "Please log in to access this page.",
		MsgRefreshRequired:           "Please reauthenticate to access this page.",
		MsgConfirmRegistration:       "Thank you. Confirmation instructions have been sent to %(email)s.",
		MsgEmailConfirmed:            "Thank you. Your email has been confirmed.",
		MsgAlreadyConfirmed:          "Your email has already been confirmed.",
		MsgInvalidConfirmationToken:  "Invalid confirmation token.",
		MsgEmailAlreadyAssociated:    "%(email)s is already associated with an account.",
		MsgRetypePasswordMismatch:    "Passwords do not match",
		MsgPasswordResetRequest:      "Instructions to reset your password have been sent to %(email)s.",
		MsgInvalidResetPasswordToken: "Invalid reset password token.",
		MsgConfirmationRequired:      "Email requires confirmation.",
		MsgConfirmationRequest:       "Confirmation instructions have been sent to %(email)s.",
		MsgLoginEmailSent:            "Instructions to login have been sent to %(email)s.",
		MsgInvalidLoginToken:         "Invalid login token.",
		MsgDisabledAccount:           "Account is disabled.",
		MsgEmailNotProvided:          "Email not provided",
		MsgInvalidEmailAddress:       "Invalid email address",
		MsgPasswordNotProvided:       "Password not provided",
		MsgPasswordNotSet:            "No password is set for this user",
		MsgPasswordInvalidLength:     "Password must be at least %(length)s characters",
		MsgPasswordTooLong:           "Password is too long",
		MsgPasswordTooSimple:         "Password not complex enough",
		MsgPasswordBreached:          "Password on breached list",
		MsgUserDoesNotExist:          "Specified user does not exist",
		MsgInvalidPassword:           "Invalid password",
		MsgPasswordlessLoginSuccess:  "You have successfully logged in.",
		MsgPasswordReset:             "You successfully reset your password and you have been logged in automatically.",
		MsgPasswordIsTheSame:         "Your new password must be different than your previous password.",
		MsgPasswordChange:            "You successfully changed your password.",
		MsgGenericAuthnFailed:        "Invalid username or password",
		MsgGenericRecovery:           "If that email address is in our system, you will receive an email describing how to reset your password.",
		MsgGenericConfirmation:       "If that email address is in our system and not yet confirmed, you will receive an email with confirmation instructions.",
		MsgGenericLoginInstructions:  "If that email address is in our system, you will receive an email with a link to log in.",
		MsgBadRequest:                "The request could not be understood.",
		MsgRateLimited:               "Too many attempts. Please try again later.",
		MsgLoggedOut:                 "You have been logged out.",
		MsgLoginSuccessful:           "You are logged in.",
		SubjectRegister:              "Welcome",
		SubjectConfirm:               "Please confirm your email",
		SubjectPasswordReset:         "Password reset instructions",
		SubjectPasswordNotice:        "Your password has been reset",
		SubjectPasswordChangeNotice:  "Your password has been changed",
		SubjectPasswordless:          "Login instructions",
		"UI_EMAIL":                   "Email", "UI_PASSWORD": "Password", "UI_PASSWORD_CONFIRM": "Retype password",
		"UI_REMEMBER": "Remember me", "UI_LOGIN": "Log in", "UI_LOGOUT": "Log out", "UI_REGISTER": "Register",
		"UI_FORGOT": "Forgot password?", "UI_RESET": "Reset password", "UI_CHANGE": "Change password",
		"UI_CURRENT_PASSWORD": "Current password", "UI_NEW_PASSWORD": "New password",
		"UI_NEW_PASSWORD_CONFIRM": "Retype new password", "UI_SEND_CONFIRM": "Resend confirmation instructions",
		"UI_SEND": "Send", "UI_PASSWORDLESS": "Email me a login link", "UI_NO_ACCOUNT": "No account yet?",
		"UI_HAVE_ACCOUNT": "Already have an account?", "UI_CONFIRM_LINK_INTRO": "Please confirm your email address by opening this link:",
		"UI_RESET_LINK_INTRO": "To reset your password, open this link:", "UI_LOGIN_LINK_INTRO": "To log in, open this link:",
		"UI_WELCOME": "Welcome! Your account %(email)s is ready.", "UI_RESET_NOTICE": "Your password has been reset.",
		"UI_CHANGE_NOTICE": "Your password has been changed.", "UI_NOT_YOU": "If you did not ask for this, ignore this email or contact us.",
		"UI_LINK_EXPIRES": "The link works once and expires in %(within)s.",
	},
	"de": {
		"UI_DAY": "%(n)s Tag", "UI_DAYS": "%(n)s Tagen", "UI_HOUR": "%(n)s Stunde", "UI_HOURS": "%(n)s Stunden", "UI_MINUTE": "%(n)s Minute", "UI_MINUTES": "%(n)s Minuten",
		"UI_PASSWORDLESS_LEGEND": "Oder ohne Passwort anmelden",
		"UI_HOME":                "Startseite", "UI_FORBIDDEN_TITLE": "Zugriff verweigert", "UI_ERROR_TITLE": "Etwas ist schiefgelaufen", "UI_UNAUTHORIZED_TITLE": "Bitte melden Sie sich an",
		MsgUnauthenticated:           "Sie sind nicht angemeldet. Bitte geben Sie die richtigen Anmeldedaten an.",
		MsgUnauthorized:              "Sie haben keine Berechtigung, diese Ressource anzuzeigen.",
		MsgReauthRequired:            "Sie müssen sich erneut anmelden, um auf diesen Endpunkt zuzugreifen",
		MsgAnonymousRequired:         "Dieser Endpunkt ist nur ohne Anmeldung erreichbar.",
		MsgInternalError:             "Interner Fehler.",
		MsgUnavailable:               "Der Dienst ist ausgelastet oder kurz nicht erreichbar. Bitte versuchen Sie es gleich noch einmal.",
		"UI_REGISTER_NOTICE_IGNORE":  "Wenn Sie es nicht waren, können Sie diese E-Mail ignorieren: Es hat sich nichts geändert.",
		"UI_REGISTER_NOTICE_RESET":   "Passwort vergessen? Wählen Sie ein neues:",
		"UI_REGISTER_NOTICE":         "Jemand, vielleicht Sie, hat versucht, mit dieser Adresse ein Konto anzulegen; sie hat bereits eines. Wenn Sie es waren, melden Sie sich an:",
		"UI_CONTINUE":                "Weiter",
		"UI_VERIFY_HELP":             "Geben Sie Ihr Passwort ein, um fortzufahren.",
		"UI_VERIFY":                  "Bestätigen Sie, dass Sie es sind",
		"UI_LOGIN_LINK_ANYWAY":       "Das war ich: anmelden",
		"UI_LOGIN_LINK_SWITCH":       "%(current)s abmelden und als %(email)s anmelden",
		"UI_LOGIN_LINK_AS":           "Als %(email)s anmelden.",
		"UI_CONFIRM_NEW_BUTTON":      "Bestätigen und dieses Passwort verwenden",
		"UI_CONFIRM_NEW_LEGEND":      "Nicht selbst registriert oder das Passwort vergessen? Wählen Sie ein neues:",
		"UI_CONFIRM_BUTTON":          "Bestätigen",
		"UI_CONFIRM_PLAIN":           "Bestätigen Sie %(email)s als Ihre Adresse.",
		"UI_CONFIRM_PROVE":           "Um %(email)s zu bestätigen, geben Sie das Passwort ein, das Sie bei der Registrierung gewählt haben.",
		"UI_CONFIRM_TITLE":           "E-Mail-Adresse bestätigen",
		SubjectRegisterNotice:        "Jemand hat versucht, sich mit Ihrer Adresse zu registrieren",
		MsgReauthSuccessful:          "Erneute Anmeldung erfolgreich",
		MsgLinkOtherDevice:           "Dieser Link wurde in einem anderen Browser oder auf einem anderen Gerät angefordert. Fahren Sie nur fort, wenn Sie ihn selbst angefordert haben.",
		MsgLinkOtherUser:             "Sie sind als %(current)s angemeldet. Dieser Link meldet Sie stattdessen als %(email)s an: Bestätigen Sie den Wechsel.",
		MsgPasswordNotSetUseReset:    "Ihr Konto hat noch kein Passwort. Um eines festzulegen, nutzen Sie „Passwort vergessen“: Wir senden Ihnen einen Link.",
		MsgPasswordBasedOnAccount:    "Ihr Passwort darf nicht auf Ihrer E-Mail-Adresse, Ihrem Benutzernamen oder dem Namen dieser Website beruhen.",
		MsgCSRFFailed:                "Das CSRF-Token fehlt oder ist ungültig.",
		MsgLoginRequired:             "Bitte melden Sie sich an, um diese Seite zu sehen.",
		MsgRefreshRequired:           "Bitte melden Sie sich erneut an, um diese Seite zu sehen.",
		MsgConfirmRegistration:       "Vielen Dank. Eine Anleitung zur Bestätigung wurde an %(email)s gesendet.",
		MsgEmailConfirmed:            "Vielen Dank. Ihre E-Mail-Adresse wurde bestätigt.",
		MsgAlreadyConfirmed:          "Ihre E-Mail-Adresse wurde bereits bestätigt.",
		MsgInvalidConfirmationToken:  "Ungültiges Bestätigungstoken.",
		MsgEmailAlreadyAssociated:    "%(email)s gehört bereits zu einem Konto.",
		MsgRetypePasswordMismatch:    "Die Passwörter stimmen nicht überein",
		MsgPasswordResetRequest:      "Eine Anleitung zum Zurücksetzen Ihres Passworts wurde an %(email)s gesendet.",
		MsgInvalidResetPasswordToken: "Ungültiges Token zum Zurücksetzen des Passworts.",
		MsgConfirmationRequired:      "Die E-Mail-Adresse muss bestätigt werden.",
		MsgConfirmationRequest:       "Eine Anleitung zur Bestätigung wurde an %(email)s gesendet.",
		MsgLoginEmailSent:            "Eine Anleitung zur Anmeldung wurde an %(email)s gesendet.",
		MsgInvalidLoginToken:         "Ungültiges Anmeldetoken.",
		MsgDisabledAccount:           "Das Konto ist deaktiviert.",
		MsgEmailNotProvided:          "Keine E-Mail-Adresse angegeben",
		MsgInvalidEmailAddress:       "Ungültige E-Mail-Adresse",
		MsgPasswordNotProvided:       "Kein Passwort angegeben",
		MsgPasswordNotSet:            "Für dieses Konto ist kein Passwort gesetzt",
		MsgPasswordInvalidLength:     "Das Passwort muss mindestens %(length)s Zeichen lang sein",
		MsgPasswordTooLong:           "Das Passwort ist zu lang",
		MsgPasswordTooSimple:         "Das Passwort ist zu einfach",
		MsgPasswordBreached:          "Das Passwort steht auf einer Liste gestohlener Passwörter",
		MsgUserDoesNotExist:          "Der angegebene Benutzer existiert nicht",
		MsgInvalidPassword:           "Ungültiges Passwort",
		MsgPasswordlessLoginSuccess:  "Sie haben sich erfolgreich angemeldet.",
		MsgPasswordReset:             "Sie haben Ihr Passwort zurückgesetzt und wurden automatisch angemeldet.",
		MsgPasswordIsTheSame:         "Das neue Passwort muss sich vom bisherigen unterscheiden.",
		MsgPasswordChange:            "Sie haben Ihr Passwort geändert.",
		MsgGenericAuthnFailed:        "Ungültiger Benutzername oder ungültiges Passwort",
		MsgGenericRecovery:           "Wenn diese E-Mail-Adresse bei uns bekannt ist, erhalten Sie eine E-Mail mit einer Anleitung zum Zurücksetzen Ihres Passworts.",
		MsgGenericConfirmation:       "Wenn diese E-Mail-Adresse bei uns bekannt und noch nicht bestätigt ist, erhalten Sie eine E-Mail mit einer Anleitung zur Bestätigung.",
		MsgGenericLoginInstructions:  "Wenn diese E-Mail-Adresse bei uns bekannt ist, erhalten Sie eine E-Mail mit einem Anmeldelink.",
		MsgBadRequest:                "Die Anfrage konnte nicht verstanden werden.",
		MsgRateLimited:               "Zu viele Versuche. Bitte versuchen Sie es später erneut.",
		MsgLoggedOut:                 "Sie wurden abgemeldet.",
		MsgLoginSuccessful:           "Sie sind angemeldet.",
		SubjectRegister:              "Willkommen",
		SubjectConfirm:               "Bitte bestätigen Sie Ihre E-Mail-Adresse",
		SubjectPasswordReset:         "Anleitung zum Zurücksetzen des Passworts",
		SubjectPasswordNotice:        "Ihr Passwort wurde zurückgesetzt",
		SubjectPasswordChangeNotice:  "Ihr Passwort wurde geändert",
		SubjectPasswordless:          "Anleitung zur Anmeldung",
		"UI_EMAIL":                   "E-Mail", "UI_PASSWORD": "Passwort", "UI_PASSWORD_CONFIRM": "Passwort wiederholen",
		"UI_REMEMBER": "Angemeldet bleiben", "UI_LOGIN": "Anmelden", "UI_LOGOUT": "Abmelden", "UI_REGISTER": "Registrieren",
		"UI_FORGOT": "Passwort vergessen?", "UI_RESET": "Passwort zurücksetzen", "UI_CHANGE": "Passwort ändern",
		"UI_CURRENT_PASSWORD": "Aktuelles Passwort", "UI_NEW_PASSWORD": "Neues Passwort",
		"UI_NEW_PASSWORD_CONFIRM": "Neues Passwort wiederholen", "UI_SEND_CONFIRM": "Bestätigung erneut senden",
		"UI_SEND": "Senden", "UI_PASSWORDLESS": "Anmeldelink per E-Mail senden", "UI_NO_ACCOUNT": "Noch kein Konto?",
		"UI_HAVE_ACCOUNT": "Schon ein Konto?", "UI_CONFIRM_LINK_INTRO": "Bitte bestätigen Sie Ihre E-Mail-Adresse mit diesem Link:",
		"UI_RESET_LINK_INTRO": "Öffnen Sie diesen Link, um Ihr Passwort zurückzusetzen:", "UI_LOGIN_LINK_INTRO": "Öffnen Sie diesen Link, um sich anzumelden:",
		"UI_WELCOME": "Willkommen! Ihr Konto %(email)s ist bereit.", "UI_RESET_NOTICE": "Ihr Passwort wurde zurückgesetzt.",
		"UI_CHANGE_NOTICE": "Ihr Passwort wurde geändert.", "UI_NOT_YOU": "Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail oder kontaktieren Sie uns.",
		"UI_LINK_EXPIRES": "Der Link funktioniert einmal und läuft in %(within)s ab.",
	},
	"fr": {
		"UI_DAY": "%(n)s jour", "UI_DAYS": "%(n)s jours", "UI_HOUR": "%(n)s heure", "UI_HOURS": "%(n)s heures", "UI_MINUTE": "%(n)s minute", "UI_MINUTES": "%(n)s minutes",
		"UI_PASSWORDLESS_LEGEND": "Ou se connecter sans mot de passe",
		"UI_HOME":                "Accueil", "UI_FORBIDDEN_TITLE": "Accès refusé", "UI_ERROR_TITLE": "Une erreur s'est produite", "UI_UNAUTHORIZED_TITLE": "Veuillez vous connecter",
		MsgUnauthenticated:           "Vous n'êtes pas authentifié. Veuillez fournir les bons identifiants.",
		MsgUnauthorized:              "Vous n'avez pas la permission de voir cette ressource.",
		MsgReauthRequired:            "Vous devez vous authentifier à nouveau pour accéder à ce point d'accès",
		MsgAnonymousRequired:         "Ce point d'accès n'est accessible que sans être connecté.",
		MsgInternalError:             "Erreur interne.",
		MsgUnavailable:               "Le service est surchargé ou momentanément indisponible. Veuillez réessayer dans un instant.",
		"UI_REGISTER_NOTICE_IGNORE":  "Si ce n’était pas vous, vous pouvez ignorer ce message : rien n’a changé.",
		"UI_REGISTER_NOTICE_RESET":   "Mot de passe oublié ? Choisissez-en un nouveau :",
		"UI_REGISTER_NOTICE":         "Quelqu’un, peut-être vous, a essayé de créer un compte avec cette adresse, qui en a déjà un. Si c’était vous, connectez-vous :",
		"UI_CONTINUE":                "Continuer",
		"UI_VERIFY_HELP":             "Saisissez votre mot de passe pour continuer.",
		"UI_VERIFY":                  "Confirmez que c’est bien vous",
		"UI_LOGIN_LINK_ANYWAY":       "C’était moi : me connecter",
		"UI_LOGIN_LINK_SWITCH":       "Déconnecter %(current)s et se connecter en tant que %(email)s",
		"UI_LOGIN_LINK_AS":           "Se connecter en tant que %(email)s.",
		"UI_CONFIRM_NEW_BUTTON":      "Confirmer et utiliser ce mot de passe",
		"UI_CONFIRM_NEW_LEGEND":      "Vous ne vous êtes pas inscrit ici, ou avez oublié ce mot de passe ? Choisissez-en un nouveau :",
		"UI_CONFIRM_BUTTON":          "Confirmer",
		"UI_CONFIRM_PLAIN":           "Confirmez %(email)s comme votre adresse.",
		"UI_CONFIRM_PROVE":           "Pour confirmer %(email)s, saisissez le mot de passe choisi lors de l’inscription.",
		"UI_CONFIRM_TITLE":           "Confirmez votre adresse e-mail",
		SubjectRegisterNotice:        "Quelqu’un a essayé de s’inscrire avec votre adresse",
		MsgReauthSuccessful:          "Réauthentification réussie",
		MsgLinkOtherDevice:           "Ce lien a été demandé depuis un autre navigateur ou appareil. Ne continuez que si c’est vous qui l’avez demandé.",
		MsgLinkOtherUser:             "Vous êtes connecté en tant que %(current)s. Ce lien vous connecte plutôt en tant que %(email)s : confirmez pour changer.",
		MsgPasswordNotSetUseReset:    "Votre compte n’a pas encore de mot de passe. Pour en définir un, utilisez « Mot de passe oublié » : nous vous enverrons un lien.",
		MsgPasswordBasedOnAccount:    "Votre mot de passe ne doit pas reposer sur votre adresse e-mail, votre nom d’utilisateur ou le nom de ce site.",
		MsgCSRFFailed:                "Le jeton CSRF est manquant ou invalide.",
		MsgLoginRequired:             "Veuillez vous connecter pour accéder à cette page.",
		MsgRefreshRequired:           "Veuillez vous authentifier à nouveau pour accéder à cette page.",
		MsgConfirmRegistration:       "Merci. Les instructions de confirmation ont été envoyées à %(email)s.",
		MsgEmailConfirmed:            "Merci. Votre adresse e-mail a été confirmée.",
		MsgAlreadyConfirmed:          "Votre adresse e-mail a déjà été confirmée.",
		MsgInvalidConfirmationToken:  "Jeton de confirmation invalide.",
		MsgEmailAlreadyAssociated:    "%(email)s est déjà associé à un compte.",
		MsgRetypePasswordMismatch:    "Les mots de passe ne correspondent pas",
		MsgPasswordResetRequest:      "Les instructions pour réinitialiser votre mot de passe ont été envoyées à %(email)s.",
		MsgInvalidResetPasswordToken: "Jeton de réinitialisation invalide.",
		MsgConfirmationRequired:      "L'adresse e-mail doit être confirmée.",
		MsgConfirmationRequest:       "Les instructions de confirmation ont été envoyées à %(email)s.",
		MsgLoginEmailSent:            "Les instructions de connexion ont été envoyées à %(email)s.",
		MsgInvalidLoginToken:         "Jeton de connexion invalide.",
		MsgDisabledAccount:           "Le compte est désactivé.",
		MsgEmailNotProvided:          "Adresse e-mail non fournie",
		MsgInvalidEmailAddress:       "Adresse e-mail invalide",
		MsgPasswordNotProvided:       "Mot de passe non fourni",
		MsgPasswordNotSet:            "Aucun mot de passe n'est défini pour ce compte",
		MsgPasswordInvalidLength:     "Le mot de passe doit comporter au moins %(length)s caractères",
		MsgPasswordTooLong:           "Le mot de passe est trop long",
		MsgPasswordTooSimple:         "Le mot de passe est trop simple",
		MsgPasswordBreached:          "Le mot de passe figure dans une liste de mots de passe divulgués",
		MsgUserDoesNotExist:          "L'utilisateur indiqué n'existe pas",
		MsgInvalidPassword:           "Mot de passe invalide",
		MsgPasswordlessLoginSuccess:  "Vous êtes connecté.",
		MsgPasswordReset:             "Votre mot de passe a été réinitialisé et vous avez été connecté automatiquement.",
		MsgPasswordIsTheSame:         "Le nouveau mot de passe doit être différent de l'ancien.",
		MsgPasswordChange:            "Votre mot de passe a été modifié.",
		MsgGenericAuthnFailed:        "Nom d'utilisateur ou mot de passe invalide",
		MsgGenericRecovery:           "Si cette adresse e-mail est enregistrée chez nous, vous recevrez un e-mail expliquant comment réinitialiser votre mot de passe.",
		MsgGenericConfirmation:       "Si cette adresse e-mail est enregistrée chez nous et pas encore confirmée, vous recevrez un e-mail avec les instructions de confirmation.",
		MsgGenericLoginInstructions:  "Si cette adresse e-mail est enregistrée chez nous, vous recevrez un e-mail avec un lien de connexion.",
		MsgBadRequest:                "La requête n'a pas pu être comprise.",
		MsgRateLimited:               "Trop de tentatives. Veuillez réessayer plus tard.",
		MsgLoggedOut:                 "Vous avez été déconnecté.",
		MsgLoginSuccessful:           "Vous êtes connecté.",
		SubjectRegister:              "Bienvenue",
		SubjectConfirm:               "Veuillez confirmer votre adresse e-mail",
		SubjectPasswordReset:         "Instructions de réinitialisation du mot de passe",
		SubjectPasswordNotice:        "Votre mot de passe a été réinitialisé",
		SubjectPasswordChangeNotice:  "Votre mot de passe a été modifié",
		SubjectPasswordless:          "Instructions de connexion",
		"UI_EMAIL":                   "E-mail", "UI_PASSWORD": "Mot de passe", "UI_PASSWORD_CONFIRM": "Confirmer le mot de passe",
		"UI_REMEMBER": "Se souvenir de moi", "UI_LOGIN": "Se connecter", "UI_LOGOUT": "Se déconnecter", "UI_REGISTER": "S'inscrire",
		"UI_FORGOT": "Mot de passe oublié ?", "UI_RESET": "Réinitialiser le mot de passe", "UI_CHANGE": "Changer le mot de passe",
		"UI_CURRENT_PASSWORD": "Mot de passe actuel", "UI_NEW_PASSWORD": "Nouveau mot de passe",
		"UI_NEW_PASSWORD_CONFIRM": "Confirmer le nouveau mot de passe", "UI_SEND_CONFIRM": "Renvoyer les instructions de confirmation",
		"UI_SEND": "Envoyer", "UI_PASSWORDLESS": "Recevoir un lien de connexion par e-mail", "UI_NO_ACCOUNT": "Pas encore de compte ?",
		"UI_HAVE_ACCOUNT": "Déjà un compte ?", "UI_CONFIRM_LINK_INTRO": "Veuillez confirmer votre adresse e-mail en ouvrant ce lien :",
		"UI_RESET_LINK_INTRO": "Pour réinitialiser votre mot de passe, ouvrez ce lien :", "UI_LOGIN_LINK_INTRO": "Pour vous connecter, ouvrez ce lien :",
		"UI_WELCOME": "Bienvenue ! Votre compte %(email)s est prêt.", "UI_RESET_NOTICE": "Votre mot de passe a été réinitialisé.",
		"UI_CHANGE_NOTICE": "Votre mot de passe a été modifié.", "UI_NOT_YOU": "Si vous n'êtes pas à l'origine de cette demande, ignorez cet e-mail ou contactez-nous.",
		"UI_LINK_EXPIRES": "Le lien ne fonctionne qu'une fois et expire dans %(within)s.",
	},
	"es": {
		"UI_DAY": "%(n)s día", "UI_DAYS": "%(n)s días", "UI_HOUR": "%(n)s hora", "UI_HOURS": "%(n)s horas", "UI_MINUTE": "%(n)s minuto", "UI_MINUTES": "%(n)s minutos",
		"UI_PASSWORDLESS_LEGEND": "O inicie sesión sin contraseña",
		"UI_HOME":                "Inicio", "UI_FORBIDDEN_TITLE": "Acceso denegado", "UI_ERROR_TITLE": "Algo salió mal", "UI_UNAUTHORIZED_TITLE": "Inicie sesión",
		MsgUnauthenticated:           "No está autenticado. Proporcione las credenciales correctas.",
		MsgUnauthorized:              "No tiene permiso para ver este recurso.",
		MsgReauthRequired:            "Debe volver a autenticarse para acceder a este punto de acceso",
		MsgAnonymousRequired:         "Solo puede acceder a este punto de acceso sin haber iniciado sesión.",
		MsgInternalError:             "Error interno.",
		MsgUnavailable:               "El servicio está ocupado o no disponible por un momento. Inténtelo de nuevo en unos instantes.",
		"UI_REGISTER_NOTICE_IGNORE":  "Si no fue usted, puede ignorar este correo: no ha cambiado nada.",
		"UI_REGISTER_NOTICE_RESET":   "¿Olvidó su contraseña? Elija una nueva:",
		"UI_REGISTER_NOTICE":         "Alguien, quizá usted, intentó crear una cuenta con esta dirección, que ya tiene una. Si fue usted, inicie sesión:",
		"UI_CONTINUE":                "Continuar",
		"UI_VERIFY_HELP":             "Introduzca su contraseña para continuar.",
		"UI_VERIFY":                  "Confirme que es usted",
		"UI_LOGIN_LINK_ANYWAY":       "Fui yo: iniciar sesión",
		"UI_LOGIN_LINK_SWITCH":       "Cerrar la sesión de %(current)s e iniciar como %(email)s",
		"UI_LOGIN_LINK_AS":           "Iniciar sesión como %(email)s.",
		"UI_CONFIRM_NEW_BUTTON":      "Confirmar y usar esta contraseña",
		"UI_CONFIRM_NEW_LEGEND":      "¿No se registró aquí u olvidó esa contraseña? Elija una nueva:",
		"UI_CONFIRM_BUTTON":          "Confirmar",
		"UI_CONFIRM_PLAIN":           "Confirme %(email)s como su dirección.",
		"UI_CONFIRM_PROVE":           "Para confirmar %(email)s, introduzca la contraseña que eligió al registrarse.",
		"UI_CONFIRM_TITLE":           "Confirme su dirección de correo",
		SubjectRegisterNotice:        "Alguien intentó registrarse con su dirección",
		MsgReauthSuccessful:          "Reautenticación correcta",
		MsgLinkOtherDevice:           "Este enlace se solicitó desde otro navegador o dispositivo. Continúe solo si fue usted quien lo solicitó.",
		MsgLinkOtherUser:             "Ha iniciado sesión como %(current)s. Este enlace le conecta en su lugar como %(email)s: confirme para cambiar.",
		MsgPasswordNotSetUseReset:    "Su cuenta aún no tiene contraseña. Para establecer una, use «¿Olvidó su contraseña?»: le enviaremos un enlace.",
		MsgPasswordBasedOnAccount:    "Su contraseña no debe basarse en su dirección de correo, su nombre de usuario ni el nombre de este sitio.",
		MsgCSRFFailed:                "El token CSRF falta o no es válido.",
		MsgLoginRequired:             "Inicie sesión para acceder a esta página.",
		MsgRefreshRequired:           "Vuelva a autenticarse para acceder a esta página.",
		MsgConfirmRegistration:       "Gracias. Se han enviado las instrucciones de confirmación a %(email)s.",
		MsgEmailConfirmed:            "Gracias. Su correo electrónico ha sido confirmado.",
		MsgAlreadyConfirmed:          "Su correo electrónico ya ha sido confirmado.",
		MsgInvalidConfirmationToken:  "Token de confirmación no válido.",
		MsgEmailAlreadyAssociated:    "%(email)s ya está asociado a una cuenta.",
		MsgRetypePasswordMismatch:    "Las contraseñas no coinciden",
		MsgPasswordResetRequest:      "Se han enviado las instrucciones para restablecer su contraseña a %(email)s.",
		MsgInvalidResetPasswordToken: "Token de restablecimiento de contraseña no válido.",
		MsgConfirmationRequired:      "El correo electrónico requiere confirmación.",
		MsgConfirmationRequest:       "Se han enviado las instrucciones de confirmación a %(email)s.",
		MsgLoginEmailSent:            "Se han enviado las instrucciones para iniciar sesión a %(email)s.",
		MsgInvalidLoginToken:         "Token de inicio de sesión no válido.",
		MsgDisabledAccount:           "La cuenta está desactivada.",
		MsgEmailNotProvided:          "No se proporcionó el correo electrónico",
		MsgInvalidEmailAddress:       "Dirección de correo electrónico no válida",
		MsgPasswordNotProvided:       "No se proporcionó la contraseña",
		MsgPasswordNotSet:            "Este usuario no tiene contraseña",
		MsgPasswordInvalidLength:     "La contraseña debe tener al menos %(length)s caracteres",
		MsgPasswordTooLong:           "La contraseña es demasiado larga",
		MsgPasswordTooSimple:         "La contraseña es demasiado sencilla",
		MsgPasswordBreached:          "La contraseña figura en una lista de contraseñas filtradas",
		MsgUserDoesNotExist:          "El usuario indicado no existe",
		MsgInvalidPassword:           "Contraseña no válida",
		MsgPasswordlessLoginSuccess:  "Ha iniciado sesión correctamente.",
		MsgPasswordReset:             "Ha restablecido su contraseña y ha iniciado sesión automáticamente.",
		MsgPasswordIsTheSame:         "La nueva contraseña debe ser distinta de la anterior.",
		MsgPasswordChange:            "Ha cambiado su contraseña.",
		MsgGenericAuthnFailed:        "Nombre de usuario o contraseña no válidos",
		MsgGenericRecovery:           "Si esa dirección de correo está registrada, recibirá un correo con instrucciones para restablecer su contraseña.",
		MsgGenericConfirmation:       "Si esa dirección de correo está registrada y aún no confirmada, recibirá un correo con instrucciones de confirmación.",
		MsgGenericLoginInstructions:  "Si esa dirección de correo está registrada, recibirá un correo con un enlace para iniciar sesión.",
		MsgBadRequest:                "No se pudo entender la solicitud.",
		MsgRateLimited:               "Demasiados intentos. Inténtelo de nuevo más tarde.",
		MsgLoggedOut:                 "Ha cerrado la sesión.",
		MsgLoginSuccessful:           "Ha iniciado sesión.",
		SubjectRegister:              "Bienvenido",
		SubjectConfirm:               "Confirme su correo electrónico",
		SubjectPasswordReset:         "Instrucciones para restablecer la contraseña",
		SubjectPasswordNotice:        "Su contraseña ha sido restablecida",
		SubjectPasswordChangeNotice:  "Su contraseña ha sido cambiada",
		SubjectPasswordless:          "Instrucciones para iniciar sesión",
		"UI_EMAIL":                   "Correo electrónico", "UI_PASSWORD": "Contraseña", "UI_PASSWORD_CONFIRM": "Repita la contraseña",
		"UI_REMEMBER": "Recordarme", "UI_LOGIN": "Iniciar sesión", "UI_LOGOUT": "Cerrar sesión", "UI_REGISTER": "Registrarse",
		"UI_FORGOT": "¿Olvidó su contraseña?", "UI_RESET": "Restablecer contraseña", "UI_CHANGE": "Cambiar contraseña",
		"UI_CURRENT_PASSWORD": "Contraseña actual", "UI_NEW_PASSWORD": "Nueva contraseña",
		"UI_NEW_PASSWORD_CONFIRM": "Repita la nueva contraseña", "UI_SEND_CONFIRM": "Reenviar instrucciones de confirmación",
		"UI_SEND": "Enviar", "UI_PASSWORDLESS": "Enviarme un enlace de acceso", "UI_NO_ACCOUNT": "¿Aún no tiene cuenta?",
		"UI_HAVE_ACCOUNT": "¿Ya tiene cuenta?", "UI_CONFIRM_LINK_INTRO": "Confirme su dirección de correo abriendo este enlace:",
		"UI_RESET_LINK_INTRO": "Para restablecer su contraseña, abra este enlace:", "UI_LOGIN_LINK_INTRO": "Para iniciar sesión, abra este enlace:",
		"UI_WELCOME": "¡Bienvenido! Su cuenta %(email)s está lista.", "UI_RESET_NOTICE": "Su contraseña ha sido restablecida.",
		"UI_CHANGE_NOTICE": "Su contraseña ha sido cambiada.", "UI_NOT_YOU": "Si no lo solicitó, ignore este correo o contáctenos.",
		"UI_LINK_EXPIRES": "El enlace funciona una vez y caduca en %(within)s.",
	},
	"ja": {
		"UI_DAY": "%(n)s日", "UI_DAYS": "%(n)s日", "UI_HOUR": "%(n)s時間", "UI_HOURS": "%(n)s時間", "UI_MINUTE": "%(n)s分", "UI_MINUTES": "%(n)s分",
		"UI_PASSWORDLESS_LEGEND": "またはパスワードなしでログイン",
		"UI_HOME":                "ホーム", "UI_FORBIDDEN_TITLE": "アクセスが拒否されました", "UI_ERROR_TITLE": "問題が発生しました", "UI_UNAUTHORIZED_TITLE": "ログインしてください",
		MsgUnauthenticated:           "認証されていません。正しい認証情報を入力してください。",
		MsgUnauthorized:              "このリソースを表示する権限がありません。",
		MsgReauthRequired:            "このエンドポイントにアクセスするには再認証が必要です",
		MsgAnonymousRequired:         "このエンドポイントはログインしていない状態でのみ利用できます。",
		MsgInternalError:             "内部エラーが発生しました。",
		MsgUnavailable:               "サービスが混み合っているか、一時的に利用できません。少し待ってからもう一度お試しください。",
		"UI_REGISTER_NOTICE_IGNORE":  "心当たりがない場合は、このメールを無視してください。何も変更されていません。",
		"UI_REGISTER_NOTICE_RESET":   "パスワードをお忘れの場合は、新しく設定してください:",
		"UI_REGISTER_NOTICE":         "どなたか(あなたかもしれません)が、すでにアカウントのあるこのアドレスで新しいアカウントを作ろうとしました。あなたの場合はこちらからログインしてください:",
		"UI_CONTINUE":                "続ける",
		"UI_VERIFY_HELP":             "続けるにはパスワードを入力してください。",
		"UI_VERIFY":                  "ご本人確認",
		"UI_LOGIN_LINK_ANYWAY":       "自分が要求しました: ログイン",
		"UI_LOGIN_LINK_SWITCH":       "%(current)s からログアウトして %(email)s としてログイン",
		"UI_LOGIN_LINK_AS":           "%(email)s としてログインします。",
		"UI_CONFIRM_NEW_BUTTON":      "確認してこのパスワードを使う",
		"UI_CONFIRM_NEW_LEGEND":      "ここで登録していない、またはパスワードを忘れた場合は、新しいパスワードを決めてください:",
		"UI_CONFIRM_BUTTON":          "確認する",
		"UI_CONFIRM_PLAIN":           "%(email)s をあなたのアドレスとして確認します。",
		"UI_CONFIRM_PROVE":           "%(email)s を確認するには、登録時に決めたパスワードを入力してください。",
		"UI_CONFIRM_TITLE":           "メールアドレスの確認",
		SubjectRegisterNotice:        "あなたのアドレスで登録が試みられました",
		MsgReauthSuccessful:          "再認証しました",
		MsgLinkOtherDevice:           "このリンクは別のブラウザまたは端末から要求されました。ご自身で要求した場合のみ続行してください。",
		MsgLinkOtherUser:             "%(current)s としてログイン中です。このリンクでは代わりに %(email)s としてログインします。切り替える場合は確認してください。",
		MsgPasswordNotSetUseReset:    "このアカウントにはまだパスワードがありません。設定するには「パスワードをお忘れですか」からリンクをメールで受け取ってください。",
		MsgPasswordBasedOnAccount:    "パスワードには、メールアドレス、ユーザー名、このサイトの名前に基づくものは使えません。",
		MsgCSRFFailed:                "CSRF トークンがないか、無効です。",
		MsgLoginRequired:             "このページにアクセスするにはログインしてください。",
		MsgRefreshRequired:           "このページにアクセスするには再認証してください。",
		MsgConfirmRegistration:       "ありがとうございます。確認の手順を %(email)s に送信しました。",
		MsgEmailConfirmed:            "ありがとうございます。メールアドレスが確認されました。",
		MsgAlreadyConfirmed:          "メールアドレスはすでに確認済みです。",
		MsgInvalidConfirmationToken:  "確認トークンが無効です。",
		MsgEmailAlreadyAssociated:    "%(email)s はすでにアカウントに登録されています。",
		MsgRetypePasswordMismatch:    "パスワードが一致しません",
		MsgPasswordResetRequest:      "パスワード再設定の手順を %(email)s に送信しました。",
		MsgInvalidResetPasswordToken: "パスワード再設定トークンが無効です。",
		MsgConfirmationRequired:      "メールアドレスの確認が必要です。",
		MsgConfirmationRequest:       "確認の手順を %(email)s に送信しました。",
		MsgLoginEmailSent:            "ログインの手順を %(email)s に送信しました。",
		MsgInvalidLoginToken:         "ログイントークンが無効です。",
		MsgDisabledAccount:           "アカウントは無効になっています。",
		MsgEmailNotProvided:          "メールアドレスが入力されていません",
		MsgInvalidEmailAddress:       "メールアドレスが無効です",
		MsgPasswordNotProvided:       "パスワードが入力されていません",
		MsgPasswordNotSet:            "このユーザーにはパスワードが設定されていません",
		MsgPasswordInvalidLength:     "パスワードは %(length)s 文字以上にしてください",
		MsgPasswordTooLong:           "パスワードが長すぎます",
		MsgPasswordTooSimple:         "パスワードが単純すぎます",
		MsgPasswordBreached:          "このパスワードは流出したパスワードの一覧に含まれています",
		MsgUserDoesNotExist:          "指定されたユーザーは存在しません",
		MsgInvalidPassword:           "パスワードが正しくありません",
		MsgPasswordlessLoginSuccess:  "ログインしました。",
		MsgPasswordReset:             "パスワードを再設定し、自動的にログインしました。",
		MsgPasswordIsTheSame:         "新しいパスワードは以前のパスワードと異なるものにしてください。",
		MsgPasswordChange:            "パスワードを変更しました。",
		MsgGenericAuthnFailed:        "ユーザー名またはパスワードが正しくありません",
		MsgGenericRecovery:           "このメールアドレスが登録されている場合、パスワード再設定の手順をメールでお送りします。",
		MsgGenericConfirmation:       "このメールアドレスが登録済みで未確認の場合、確認の手順をメールでお送りします。",
		MsgGenericLoginInstructions:  "このメールアドレスが登録されている場合、ログイン用のリンクをメールでお送りします。",
		MsgBadRequest:                "リクエストを理解できませんでした。",
		MsgRateLimited:               "試行回数が多すぎます。しばらくしてからもう一度お試しください。",
		MsgLoggedOut:                 "ログアウトしました。",
		MsgLoginSuccessful:           "ログインしました。",
		SubjectRegister:              "ようこそ",
		SubjectConfirm:               "メールアドレスを確認してください",
		SubjectPasswordReset:         "パスワード再設定の手順",
		SubjectPasswordNotice:        "パスワードが再設定されました",
		SubjectPasswordChangeNotice:  "パスワードが変更されました",
		SubjectPasswordless:          "ログインの手順",
		"UI_EMAIL":                   "メールアドレス", "UI_PASSWORD": "パスワード", "UI_PASSWORD_CONFIRM": "パスワード（確認）",
		"UI_REMEMBER": "ログイン状態を保持する", "UI_LOGIN": "ログイン", "UI_LOGOUT": "ログアウト", "UI_REGISTER": "登録",
		"UI_FORGOT": "パスワードをお忘れですか？", "UI_RESET": "パスワードを再設定", "UI_CHANGE": "パスワードを変更",
		"UI_CURRENT_PASSWORD": "現在のパスワード", "UI_NEW_PASSWORD": "新しいパスワード",
		"UI_NEW_PASSWORD_CONFIRM": "新しいパスワード（確認）", "UI_SEND_CONFIRM": "確認メールを再送信",
		"UI_SEND": "送信", "UI_PASSWORDLESS": "ログイン用リンクをメールで受け取る", "UI_NO_ACCOUNT": "アカウントをお持ちでない方",
		"UI_HAVE_ACCOUNT": "すでにアカウントをお持ちの方", "UI_CONFIRM_LINK_INTRO": "次のリンクを開いてメールアドレスを確認してください:",
		"UI_RESET_LINK_INTRO": "パスワードを再設定するには、次のリンクを開いてください:", "UI_LOGIN_LINK_INTRO": "ログインするには、次のリンクを開いてください:",
		"UI_WELCOME": "ようこそ！アカウント %(email)s の準備ができました。", "UI_RESET_NOTICE": "パスワードが再設定されました。",
		"UI_CHANGE_NOTICE": "パスワードが変更されました。", "UI_NOT_YOU": "お心当たりがない場合は、このメールを無視するか、お問い合わせください。",
		"UI_LINK_EXPIRES": "このリンクは一度だけ使用でき、%(within)sで期限切れになります。",
	},
}

var supportedLanguages = language.NewMatcher([]language.Tag{
	language.English, language.German, language.French, language.Spanish, language.Japanese,
})

var languageCodes = []string{"en", "de", "fr", "es", "ja"}

// language returns the request's language: Config.Language, else the
// best match for Accept-Language among the shipped catalogs.
func (m *Manager) language(r *http.Request) string {
	if r == nil {
		return defaultLanguage
	}
	if m.cfg.Language != nil {
		if l := m.cfg.Language(r); catalogs[l] != nil {
			return l
		}
		return defaultLanguage
	}
	accept := r.Header.Get("Accept-Language")
	if accept == "" || len(accept) > 512 {
		return defaultLanguage
	}
	tags, _, err := language.ParseAcceptLanguage(accept)
	if err != nil || len(tags) == 0 {
		return defaultLanguage
	}
	_, i, conf := supportedLanguages.Match(tags...)
	if conf == language.No {
		return defaultLanguage
	}
	return languageCodes[i]
}

// Text returns the text for key in r's language with %(name)s placeholders
// filled from args (name, value, name, value, ...), after Config.Messages
// overrides and Config.Localize.
func (m *Manager) Text(r *http.Request, key string, args ...string) string {
	return m.textLang(r, m.language(r), key, args...)
}

// textLang is Text in a given language; r may be nil (mails rendered off
// the request).
func (m *Manager) textLang(r *http.Request, lang, key string, args ...string) string {
	text, ok := m.cfg.Messages[key]
	if !ok {
		if text, ok = catalogs[lang][key]; !ok {
			text = catalogs[defaultLanguage][key]
		}
	}
	switch key {
	case MsgLoginRequired:
		if m.cfg.Flash.LoginMessage != defaultLoginMessage {
			text = m.cfg.Flash.LoginMessage
		}
	case MsgRefreshRequired:
		if m.cfg.Flash.RefreshMessage != defaultRefreshMessage {
			text = m.cfg.Flash.RefreshMessage
		}
	}
	if m.cfg.Localize != nil {
		text = m.cfg.Localize(lang, key, text)
	}
	if len(args) > 1 && strings.Contains(text, placeholderOpen) {
		pairs := make([]string, 0, len(args))
		for i := 0; i+1 < len(args); i += 2 {
			pairs = append(pairs, placeholderOpen+args[i]+placeholderC, args[i+1])
		}
		text = strings.NewReplacer(pairs...).Replace(text)
	}
	return text
}
