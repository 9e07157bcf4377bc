# MTAGUARD_BERKELEY_DB: Berkeley DB (5.3 on Debian 12) has no pkg-config file.
AC_DEFUN([MTAGUARD_BERKELEY_DB], [
  AC_CHECK_HEADER([db.h], [],
    [AC_MSG_ERROR([db.h not found (Debian: libdb-dev)])])
  save_LIBS="$LIBS"
  LIBS=""
  AC_SEARCH_LIBS([db_env_create], [db db-5.3], [],
    [AC_MSG_ERROR([Berkeley DB library not found (Debian: libdb-dev)])])
  BDB_LIBS="$LIBS"
  LIBS="$save_LIBS"
  AC_SUBST([BDB_LIBS])
])
