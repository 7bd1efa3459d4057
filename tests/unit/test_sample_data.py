from orchestration.demo.sample_data import SCHEMAS, SampleSpec, generate_rows


def test_same_spec_same_rows():
    assert generate_rows(SampleSpec(seed=7)) == generate_rows(SampleSpec(seed=7))
    assert generate_rows(SampleSpec(seed=7)) != generate_rows(SampleSpec(seed=8))


def test_scale_multiplies_the_fact_tables():
    small = generate_rows(SampleSpec(scale=1))
    large = generate_rows(SampleSpec(scale=4))
    assert len(large["sport"]["affiliation"]) == 4 * len(small["sport"]["affiliation"])
    assert len(large["denodo"]["bv_commune"]) == len(small["denodo"]["bv_commune"])


def test_rows_match_the_declared_columns():
    for system, tables in generate_rows(SampleSpec()).items():
        for table, rows in tables.items():
            assert {len(row) for row in rows} == {len(SCHEMAS[system][table])}, table


def test_the_data_is_dirty_as_promised():
    rows = generate_rows(SampleSpec())
    payments = rows["subventions"]["paiement"]
    assert len(payments) > len(set(payments)), "exact duplicate payments"
    communes = rows["denodo"]["bv_commune"]
    assert any(c[0] != c[0].strip() for c in communes), "NIS codes with trailing spaces"
    assert any(c[3] != c[3].upper() for c in communes), "mixed-case province codes"
    late = [p for p in payments if p[4][:10] > p[3].isoformat()]
    assert late, "payments recorded after the day they were paid"
    assert any(o[2] is None for o in rows["subventions"]["operateur"]), "NULL sectors"
