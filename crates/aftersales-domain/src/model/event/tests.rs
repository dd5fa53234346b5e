use super::*;

#[test]
fn every_type_is_named_resource_dot_verb_and_listed_once() {
    let mut names: Vec<&str> = CATALOGUE.iter().map(|k| k.name).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(before, names.len(), "a type is listed twice");
    for k in CATALOGUE {
        let (resource, verb) = k.name.split_once('.').expect("resource.verb");
        assert!(!resource.is_empty() && !verb.is_empty() && !verb.contains('.'), "{}", k.name);
    }
}

#[test]
fn no_catalogue_field_is_personal_data() {
    let personal = ["name", "phone", "address", "plate", "vin", "company", "notes", "summary", "solution"];
    for k in CATALOGUE {
        for f in k.fields {
            assert!(!personal.iter().any(|p| f.contains(p)), "{}: {f}", k.name);
        }
    }
}

#[test]
fn an_unknown_type_is_refused_naming_the_field() {
    assert!(check_types("types", &["work_order.delivered".into()]).is_ok());
    let err = check_types("types", &["work_order.exploded".into()]).unwrap_err();
    assert!(format!("{err:?}").contains("types"));
}
