/* Unit tests of the goconserver plugin against the host-API mock: the conserver plugin's
 * test-console.h (the same logic under another name), as goconserver. */
#define CONSOLE "goconserver"
#define OTHER "conserver"
#define GENERATOR "makegocons"
/* xCAT reads an unset consoleservice as conserver: rcons would not use goconserver's consoles */
#define UNSET_WARNING "the site table's consoleservice is unset (conserver), not goconserver"
#define UNSET_WARNINGS 1

#include "test-console.h"
