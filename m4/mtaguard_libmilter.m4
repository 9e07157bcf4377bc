# MTAGUARD_LIBMILTER: libmilter has no pkg-config file; find header and library.
AC_DEFUN([MTAGUARD_LIBMILTER], [
  AC_CHECK_HEADER([libmilter/mfapi.h], [],
    [AC_MSG_ERROR([libmilter/mfapi.h not found (Debian: libmilter-dev)])])
  save_LIBS="$LIBS"
  LIBS=""
  AC_SEARCH_LIBS([smfi_main], [milter], [],
    [AC_MSG_ERROR([libmilter not found (Debian: libmilter-dev)])], [-lpthread])
  MILTER_LIBS="$LIBS -lpthread"
  LIBS="$save_LIBS"
  AC_SUBST([MILTER_LIBS])
])
