package io.reactivedb.migrations;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reading Liquibase's tables over JDBC: whether they exist, and the applied change sets. */
final class ChangeLogTables {

    private ChangeLogTables() {
    }

    static boolean exists(Connection connection, String table) throws SQLException {
        try (PreparedStatement st = connection.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            st.setString(1, table);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /** The applied change sets in order of execution; empty when Liquibase has never run here. */
    static List<AppliedChangeSet> readHistory(Connection connection) throws SQLException {
        if (!exists(connection, "databasechangelog")) {
            return List.of();
        }
        List<AppliedChangeSet> rows = new ArrayList<>();
        try (Statement st = connection.createStatement();
             ResultSet rs = st.executeQuery("SELECT id, author, filename, dateexecuted::timestamptz, orderexecuted, exectype, tag"
                     + " FROM databasechangelog ORDER BY orderexecuted, dateexecuted")) {
            while (rs.next()) {
                OffsetDateTime executed = rs.getObject(4, OffsetDateTime.class);
                rows.add(new AppliedChangeSet(new ChangeSetRef(rs.getString(1), rs.getString(2), rs.getString(3)),
                        executed.toInstant(), rs.getInt(5), rs.getString(6), Optional.ofNullable(rs.getString(7))));
            }
        }
        return rows;
    }
}
