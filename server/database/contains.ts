import { sql, type AnyColumn, type SQL } from 'drizzle-orm'
import { engineOf, type Db } from '#server/database'

/** LIKE with the pattern characters escaped: a filter is a substring, never a pattern. */
const containsPattern = (text: string) => `%${text.replace(/[\\%_]/g, char => `\\${char}`)}%`

/** `column` contains `text`, ignoring case, on either engine. */
export function containsText(db: Db, column: AnyColumn, text: string): SQL {
  return sql`${column} ${sql.raw(engineOf(db).caseInsensitiveLike)} ${containsPattern(text)} ESCAPE '\\'`
}
