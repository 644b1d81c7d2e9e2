/** The PostgreSQL schema module generated from the SQLite one (source text). */
export declare function postgresSchemaSource(source?: string): string
